"""Operations: backing up and restoring a coachbook database."""
