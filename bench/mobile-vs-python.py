#!/usr/bin/env python3
"""Differential check: batchmsg's UK mobile rule against Python's phonenumbers
(the libphonenumber port GOV.UK Notify uses), on random numbers covering every
+44 7xxxx prefix, written in the shapes the issue lists.

    bench-data/venv/bin/python bench/mobile-vs-python.py [COUNT]

(bash bench/validate-vs-python.sh makes that venv.) Prints how many inputs
were compared and every disagreement. The reference: parsed as GB (or, if that
fails, with a leading +, as Notify retries), country code 44, valid, type
mobile; plus Ofcom's drama range 07700 900000-900999, which Notify accepts.
"""
import csv, json, os, random, subprocess, sys, tempfile
import phonenumbers
from phonenumbers import PhoneNumberType


def reference(raw):
    digits = "".join(c for c in raw if c.isdigit())
    for candidate in (raw, "+" + digits):
        try:
            p = phonenumbers.parse(candidate, "GB")
        except phonenumbers.NumberParseException:
            continue
        national = str(p.national_number)
        if p.country_code == 44 and len(national) == 10 and national.startswith("7700900"):
            return "+44" + national
        if p.country_code == 44 and phonenumbers.is_valid_number(p) \
                and phonenumbers.number_type(p) == PhoneNumberType.MOBILE:
            return phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164)
    return None


def test_range_nhs_numbers():
    """Distinct valid NHS numbers from the 999 test range, so only mobiles differ."""
    for n in range(999_000_000, 1_000_000_000):
        d = str(n)
        r = 11 - sum(int(c) * w for c, w in zip(d, range(10, 1, -1))) % 11
        if r == 10:
            continue
        number = d + str(0 if r == 11 else r)
        if len(set(number)) > 1:
            yield number


SHAPES = [
    lambda n: "0" + n,
    lambda n: "+44" + n,
    lambda n: "44" + n,
    lambda n: "0044" + n,
    lambda n: "+44 (0)" + n[:4] + " " + n[4:],
    lambda n: n,
    lambda n: "0" + n[:4] + " " + n[4:7] + " " + n[7:],
    lambda n: "(0" + n[:4] + ") " + n[4:],
]


def main():
    # The 999 test range holds about 909,000 valid NHS numbers.
    count = min(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000, 900_000)
    rng = random.Random(11)
    rows = []
    for i in range(count):
        national = "7" + "%04d" % (i % 10_000) + "%05d" % rng.randrange(100_000)
        rows.append(rng.choice(SHAPES)(national))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = os.path.join(root, "target", "release", "batchmsg")
    with tempfile.TemporaryDirectory() as tmp:
        listing = os.path.join(tmp, "numbers.csv")
        with open(listing, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["NHS Number", "Mobile Number", "Date of Birth"])
            numbers = test_range_nhs_numbers()
            for m in rows:
                w.writerow([next(numbers), m, "01/01/1990"])
        subprocess.run([binary, "validate", listing, "--out", tmp], check=True, stdout=subprocess.DEVNULL)
        ours = {}
        with open(os.path.join(tmp, "accepted.csv"), newline="") as f:
            for r in csv.DictReader(f):
                ours[int(r["row"])] = r["mobile"]
        with open(os.path.join(tmp, "not-accepted.csv"), newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                ours[int(r["row"])] = None
    disagreements = 0
    for i, raw in enumerate(rows):
        row = i + 2
        mine = ours.get(row, "(missing)")
        theirs = reference(raw)
        if mine != theirs:
            disagreements += 1
            if disagreements <= 20:
                print(f"row {row}: {raw!r}: batchmsg {mine}, phonenumbers {theirs}")
    print(json.dumps({"compared": len(rows), "disagreements": disagreements,
                      "phonenumbers": phonenumbers.__version__}))


main()
