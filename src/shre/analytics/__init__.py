"""Analytics: headcount over time, turnover, tenure, pay bands and document compliance
(CONTRACT.md §4 "Analytics"), computed in the database from the employment history and
cached like department statistics."""
