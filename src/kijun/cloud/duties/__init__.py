"""Lifecycle duties of approved services beyond the dated checklist (R7 §4.2.2): the person who
owns each duty and the evidence files attached to it."""
