"""Producer-side partitioners: which partition does a record go to?"""
