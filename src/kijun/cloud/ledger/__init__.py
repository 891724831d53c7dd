"""The information system ledger's import/export and the agency's system classification standard
(R7 §2.1.2, §5.1): pages, API and services of the cloud app."""
