#!/usr/bin/env python3
"""Writes transactions.sql: the fraud-triage sample (8 cards, March 2026, about 340 card transactions).

Deterministic (fixed seed, no clock): run `python3 examples/fraud/make_transactions.py > examples/fraud/transactions.sql`
to regenerate the committed file byte for byte. Everyday spending is random but never matches a fraud pattern;
three patterns are planted for flag_patterns (tools.yaml) to find:
  C1003  card testing: 12 payments under 2.00 EUR at one online merchant within 7 minutes (several declined)
  C1005  impossible travel: card present in Milan (IT), then at an ATM in New York (US) 42 minutes later
  C1007  a sudden large foreign purchase: 4850.00 EUR in Dubai (AE) on a card that usually spends under 120 EUR
C1001 travels to Spain for three days and C1008 makes one large purchase at home: neither is fraud.
"""
import datetime
import random

CARDS = [
    ("C1001", "Alice Martin", "FR"), ("C1002", "Bruno Keller", "DE"), ("C1003", "Chloe Dubois", "FR"),
    ("C1004", "Daan de Vries", "NL"), ("C1005", "Emma Rossi", "IT"), ("C1006", "Farid Haddad", "BE"),
    ("C1007", "Greta Lindqvist", "DE"), ("C1008", "Hugo Silva", "PT"),
]
# (merchant, merchant category, city) per country, for card-present spending.
SHOPS = {
    "FR": [("Carrefour Market", "grocery", "Paris"), ("Boulangerie Paul", "bakery", "Paris"),
           ("Total Energies", "fuel", "Lyon"), ("Fnac", "electronics", "Paris"), ("Brasserie Lipp", "restaurant", "Paris")],
    "DE": [("Rewe", "grocery", "Berlin"), ("Aral", "fuel", "Hamburg"), ("Dm Drogerie", "pharmacy", "Berlin"),
           ("Saturn", "electronics", "Munich"), ("Cafe Einstein", "restaurant", "Berlin")],
    "NL": [("Albert Heijn", "grocery", "Amsterdam"), ("Shell", "fuel", "Utrecht"), ("HEMA", "retail", "Amsterdam"),
           ("Cafe de Jaren", "restaurant", "Amsterdam")],
    "IT": [("Esselunga", "grocery", "Milan"), ("Eni", "fuel", "Milan"), ("La Rinascente", "retail", "Milan"),
           ("Trattoria Milanese", "restaurant", "Milan")],
    "BE": [("Delhaize", "grocery", "Brussels"), ("Q8", "fuel", "Ghent"), ("Fnac", "electronics", "Brussels"),
           ("Le Pain Quotidien", "restaurant", "Brussels")],
    "PT": [("Pingo Doce", "grocery", "Lisbon"), ("Galp", "fuel", "Porto"), ("Worten", "electronics", "Lisbon"),
           ("Cervejaria Ramiro", "restaurant", "Lisbon")],
    "ES": [("Mercadona", "grocery", "Madrid"), ("Repsol", "fuel", "Madrid"), ("El Corte Ingles", "retail", "Madrid"),
           ("Casa Lucio", "restaurant", "Madrid")],
}
ONLINE = [("Amazon EU", "marketplace", "Luxembourg", "LU"), ("Spotify", "subscription", "Stockholm", "SE"),
          ("Booking.com", "travel", "Amsterdam", "NL"), ("Zalando", "clothing", "Berlin", "DE")]
START = datetime.datetime(2026, 3, 1)


def everyday(rng, card, home):
    """About 40 transactions over March: card present at home (abroad only on whole travel days), some online."""
    rows = []
    for day in range(31):
        country = "ES" if card == "C1001" and 9 <= day <= 11 else home
        for _ in range(rng.choice([0, 1, 1, 1, 2, 2])):
            ts = START + datetime.timedelta(days=day, minutes=rng.randint(8 * 60, 21 * 60))
            if rng.random() < 0.2:
                merchant, category, city, where = rng.choice(ONLINE)
                rows.append([card, ts, round(rng.uniform(5, 60), 2), merchant, category, city, where, "online", "approved"])
            else:
                merchant, category, city = rng.choice(SHOPS[country])
                amount = round(rng.uniform(5, 120), 2)
                rows.append([card, ts, amount, merchant, category, city, country, "pos", "approved"])
    return rows


def planted():
    rows = []
    at = datetime.datetime(2026, 3, 21, 2, 13, 5)
    for i in range(12):  # card testing
        ts = at + datetime.timedelta(seconds=37 * i)
        status = "declined" if i % 3 != 2 else "approved"
        rows.append(["C1003", ts, round(0.5 + 0.13 * i, 2), "QuickPay Online Store", "digital goods", "Wilmington",
                     "US", "online", status])
    rows.append(["C1005", datetime.datetime(2026, 3, 18, 9, 5), 23.40, "Esselunga", "grocery", "Milan", "IT", "pos",
                 "approved"])
    rows.append(["C1005", datetime.datetime(2026, 3, 18, 9, 47), 400.00, "Chase ATM", "cash", "New York", "US", "atm",
                 "approved"])
    rows.append(["C1007", datetime.datetime(2026, 3, 25, 16, 20), 4850.00, "Gold Souk Jewellers", "jewellery", "Dubai",
                 "AE", "pos", "approved"])
    rows.append(["C1008", datetime.datetime(2026, 3, 14, 11, 30), 1200.00, "IKEA", "furniture", "Lisbon", "PT", "pos",
                 "approved"])
    return rows


def quote(value):
    if isinstance(value, float):
        return "%.2f" % value
    return "'" + str(value).replace("'", "''") + "'"


def main():
    rng = random.Random(13)
    rows = []
    for card, _, home in CARDS:
        rows.extend(everyday(rng, card, home))
    rows.extend(planted())
    rows.sort(key=lambda row: (row[1], row[0]))
    print("-- Fraud-triage sample data (fictional), written by make_transactions.py; do not edit by hand.")
    print("-- Timestamps are UTC 'YYYY-MM-DD HH:MM:SS'; amounts are EUR.")
    print("BEGIN;")
    print("CREATE TABLE cards (\n  card_id TEXT PRIMARY KEY,\n  holder TEXT NOT NULL,\n  home_country TEXT NOT NULL,\n"
          "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),\n"
          "  blocked_at TEXT,\n  block_reason TEXT\n);")
    print("CREATE TABLE transactions (\n  txn_id TEXT PRIMARY KEY,\n  card_id TEXT NOT NULL REFERENCES cards(card_id),\n"
          "  ts TEXT NOT NULL,\n  amount REAL NOT NULL,\n  merchant TEXT NOT NULL,\n  category TEXT NOT NULL,\n"
          "  city TEXT NOT NULL,\n  country TEXT NOT NULL,\n"
          "  channel TEXT NOT NULL CHECK (channel IN ('pos', 'atm', 'online')),\n"
          "  status TEXT NOT NULL CHECK (status IN ('approved', 'declined'))\n);")
    print("CREATE INDEX transactions_by_card ON transactions(card_id, ts);")
    for card, holder, home in CARDS:
        print("INSERT INTO cards (card_id, holder, home_country) VALUES (%s, %s, %s);" % (quote(card), quote(holder), quote(home)))
    for number, row in enumerate(rows, 1):
        card, ts, amount, merchant, category, city, country, channel, status = row
        values = [("T%05d" % number), card, ts.strftime("%Y-%m-%d %H:%M:%S"), float(amount), merchant, category, city,
                  country, channel, status]
        print("INSERT INTO transactions VALUES (%s);" % ", ".join(quote(v) for v in values))
    print("COMMIT;")


if __name__ == "__main__":
    main()
