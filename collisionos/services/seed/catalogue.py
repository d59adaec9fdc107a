"""Believable, made-up reference data for demo and bulk seeding (no real people)."""

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Charlotte",
    "William",
    "Amelia",
    "Benjamin",
    "Ava",
    "Lucas",
    "Sophia",
    "Jacob",
    "Mia",
    "Ethan",
    "Chloe",
    "Logan",
    "Zoe",
    "Nathan",
    "Hannah",
    "Owen",
    "Priya",
    "Arjun",
    "Mei",
    "Wei",
    "Fatima",
    "Omar",
    "Isabelle",
    "Gabriel",
    "Aaliyah",
    "Mateo",
    "Nadia",
    "Samuel",
    "Leah",
    "Daniel",
)
LAST_NAMES = (
    "Smith",
    "Tremblay",
    "Brown",
    "Martin",
    "Roy",
    "Wilson",
    "MacDonald",
    "Gagnon",
    "Johnson",
    "Taylor",
    "Campbell",
    "Anderson",
    "Lee",
    "Bouchard",
    "Morin",
    "Singh",
    "Patel",
    "Nguyen",
    "Chen",
    "Wong",
    "Leblanc",
    "Kowalski",
    "Rossi",
    "Murphy",
    "O'Brien",
    "Fraser",
    "Stewart",
    "Cote",
    "Pelletier",
    "Khan",
    "Haddad",
)
STREETS = (
    "King St W",
    "Queen St E",
    "Dundas St",
    "Bloor St W",
    "Yonge St",
    "Main St",
    "Lakeshore Rd",
    "Erin Mills Pkwy",
    "Hurontario St",
    "Britannia Rd",
    "Derry Rd",
    "Eglinton Ave",
    "Burnhamthorpe Rd",
    "Mavis Rd",
    "Winston Churchill Blvd",
)
CITIES = (("Mississauga", "L5B"), ("Brampton", "L6T"), ("Oakville", "L6H"), ("Toronto", "M5V"), ("Milton", "L9T"))

# make, model, WMI (manufacturer code), body style, trims, paint codes, ADAS-equipped from year
VEHICLES = (
    ("Honda", "Civic", "2HG", "sedan", ("LX", "EX", "Sport"), ("NH-731P", "R-569M", "B-593M"), 2016),
    ("Honda", "CR-V", "2HK", "suv", ("LX", "EX-L", "Touring"), ("NH-883P", "YR-600M"), 2017),
    ("Toyota", "Corolla", "2T1", "sedan", ("L", "LE", "SE"), ("1G3", "218", "8X8"), 2017),
    ("Toyota", "RAV4", "2T3", "suv", ("LE", "XLE", "Limited"), ("070", "1J9", "3T3"), 2019),
    ("Ford", "F-150", "1FT", "truck", ("XL", "XLT", "Lariat"), ("UM", "YZ", "J7"), 2018),
    ("Ford", "Escape", "1FM", "suv", ("S", "SE", "Titanium"), ("UX", "D4"), 2017),
    ("Chevrolet", "Equinox", "2GN", "suv", ("LS", "LT", "Premier"), ("GAZ", "GBA"), 2018),
    ("Hyundai", "Elantra", "5NP", "sedan", ("Essential", "Preferred"), ("PW6", "S3B"), 2019),
    ("Nissan", "Rogue", "5N1", "suv", ("S", "SV", "SL"), ("KAD", "QAB"), 2017),
    ("Mazda", "CX-5", "JM3", "suv", ("GX", "GS", "GT"), ("46V", "41W"), 2017),
    ("Tesla", "Model 3", "5YJ", "sedan", ("Standard", "Long Range"), ("PPSW", "PBSB"), 2018),
)

INSURERS = (
    # name, code stem, body rate, paint rate, rental per day, rental days, DRP
    ("Intact Insurance", "INTACT", "62.00", "62.00", "45.00", 10, True),
    ("Aviva Canada", "AVIVA", "64.00", "64.00", "40.00", 14, True),
    ("Desjardins Insurance", "DESJARDI", "60.00", "61.00", "42.00", 10, False),
    ("TD Insurance", "TDINSURA", "63.00", "63.00", "40.00", 7, False),
    ("The Co-operators", "COOPERAT", "61.00", "61.00", "35.00", 10, True),
)

VENDORS = (
    # name, code, type, payment terms, lead days
    ("Honda Parts Direct", "HOND", "oem", "net_30", 2),
    ("Toyota Parts Centre", "TOYO", "oem", "net_30", 2),
    ("LKQ Canada", "LKQX", "recycled", "net_30", 3),
    ("Keystone Aftermarket", "KEYS", "aftermarket", "net_15", 2),
    ("FinishMaster Paint Supply", "FINI", "paint_supplier", "net_30", 1),
    ("Precision ADAS Calibration", "PREC", "service_provider", "net_15", 1),
)

# description, part category (advanced_parts_management), estimate category, price range, labor hours, refinish hours
DAMAGE_PARTS = (
    ("Front bumper cover", "body_panel", "exterior", (380, 690), 2.5, 2.8),
    ("Front bumper absorber", "body_panel", "body", (60, 140), 0.4, 0.0),
    ("Headlamp assembly, right", "electrical", "electrical", (420, 1150), 0.6, 0.0),
    ("Headlamp assembly, left", "electrical", "electrical", (420, 1150), 0.6, 0.0),
    ("Hood panel", "body_panel", "body", (520, 980), 1.2, 3.1),
    ("Fender, right front", "body_panel", "body", (240, 460), 1.8, 2.4),
    ("Fender, left front", "body_panel", "body", (240, 460), 1.8, 2.4),
    ("Grille assembly", "trim", "exterior", (150, 420), 0.5, 0.0),
    ("Radiator support", "structural", "frame", (310, 620), 4.5, 1.2),
    ("Condenser", "mechanical", "mechanical", (260, 520), 1.1, 0.0),
    ("Rear bumper cover", "body_panel", "exterior", (360, 640), 2.2, 2.7),
    ("Tail lamp, left", "electrical", "electrical", (180, 420), 0.4, 0.0),
    ("Quarter panel, right", "body_panel", "body", (640, 1200), 6.5, 3.2),
    ("Door shell, front left", "body_panel", "body", (720, 1350), 3.4, 2.9),
    ("Mirror assembly, right", "electrical", "electrical", (210, 560), 0.5, 0.6),
    ("Windshield", "glass", "glass", (390, 980), 1.5, 0.0),
    ("Bumper clips kit", "hardware", "exterior", (18, 45), 0.0, 0.0),
)
SUBLETS = (
    ("Four-wheel alignment", "129.95"),
    ("ADAS forward camera calibration", "349.00"),
    ("Pre/post repair scan", "89.00"),
)

LOANERS = (
    # unit, make, model, year, class, WMI, daily rate, km allowance/day, rate per km, tank litres
    ("L-01", "Toyota", "Corolla", 2023, "compact", "2T1", "45.00", 250, "0.250", "50.00"),
    ("L-02", "Honda", "Civic", 2022, "compact", "2HG", "45.00", 250, "0.250", "47.00"),
    ("L-03", "Hyundai", "Elantra", 2024, "compact", "5NP", "42.00", 250, "0.250", "47.00"),
    ("L-04", "Toyota", "RAV4", 2023, "suv", "2T3", "65.00", 250, "0.300", "55.00"),
    ("L-05", "Ford", "Escape", 2022, "suv", "1FM", "60.00", 250, "0.300", "54.00"),
)
