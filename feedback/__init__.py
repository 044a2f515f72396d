"""The Hearing State loop: cases with deadlines, answers, ratings and escalation up the ladder."""
