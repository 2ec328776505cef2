"""A local LINE Platform for tests, benchmarks and the demo (see emulator.app.create_app)."""
