"""Inquiries to staff (問い合わせ): a citizen question a person answers, with a receipt number."""
