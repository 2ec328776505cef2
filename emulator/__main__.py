"""`python -m emulator --port 8001 --webhook-url http://127.0.0.1:8000/callback`."""

from emulator.app import main

main()
