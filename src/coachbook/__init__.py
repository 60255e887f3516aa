"""coachbook: structured one-on-one sales coaching from real CRM data."""
