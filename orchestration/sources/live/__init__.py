"""The live source: bars and actions from Yahoo (`yahoo`), rates from FRED (`fred`), and
point-in-time membership and weights from Wikipedia's S&P 500 page, iShares holdings and the
SEC's ticker map (`members`, `membership_history`, `wikipedia`, `ishares`, `tickers`), all
through one HTTP getter (`http`); `members_file` writes that membership for the files source."""
