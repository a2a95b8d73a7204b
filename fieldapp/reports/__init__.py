"""What is printed or downloaded: the chairman's weekly report (weekly, its sections,
charts and the procedures section), CSV files (csv), QR sheets (qrsheet), and the
PDF renderer they share (pdf)."""
