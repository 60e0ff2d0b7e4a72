"""The consent registry (the data-sharing secretariat): guardian consents, agreements, break-glass."""
