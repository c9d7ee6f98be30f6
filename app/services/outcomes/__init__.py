"""Financing follow-up and outcomes: the figures cities report (figures), the coverage of
listed needs and the reasons institutions say no (coverage), reminders of uncontacted
interests (reminders) counted in China's working days (workdays)."""
