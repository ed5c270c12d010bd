"""Race nights: live races run one racer after another in real time (docs/organisers.md)."""
