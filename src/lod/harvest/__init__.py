"""What aggregators harvest, written from the store at build time: CMIF (correspSearch) and BEACON."""
