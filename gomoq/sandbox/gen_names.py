"""Pools of people for the generator: Moroccan and French names, cities, occupations, emails.

Everything here is plain data plus tiny helpers that draw from a seeded `random.Random`, so the
generator stays deterministic. Names carry their common spelling variants (Mohammed/Mohamed/
Mohamed), which is how a duplicate of the same person is often typed a second time.
"""

from __future__ import annotations

import functools
import random
import unicodedata

# (first name, gender, spelling variants typed for the same person)
MALE_FIRST: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Mohammed", ("Mohamed", "Mohamad", "Mouhamed")),
    ("Youssef", ("Youssouf", "Yousef", "Yusuf")),
    ("Ahmed", ("Ahmad", "Hmed")),
    ("Omar", ("Oumar", "Omer")),
    ("Hamza", ("Hamzah",)),
    ("Mehdi", ("Mahdi",)),
    ("Karim", ("Kareem", "Abdelkarim")),
    ("Rachid", ("Rashid", "Rachide")),
    ("Said", ("Saïd", "Saeed")),
    ("Abdellah", ("Abdallah", "Abdullah")),
    ("Hassan", ("Hasan",)),
    ("Hicham", ("Hisham",)),
    ("Khalid", ("Khaled",)),
    ("Mustapha", ("Mostafa", "Moustapha")),
    ("Ayoub", ("Ayyoub",)),
    ("Adam", ("Adame",)),
    ("Anas", ("Anass",)),
    ("Amine", ("Amin", "Mohamed Amine")),
    ("Zakaria", ("Zakariya", "Zakariae")),
    ("Ismail", ("Ismaïl", "Smail")),
    ("Nabil", ("Nabile",)),
    ("Driss", ("Idriss", "Idris")),
    ("Jamal", ("Jamel",)),
    ("Soufiane", ("Sofiane", "Sufyan")),
    ("Reda", ("Rida",)),
    ("Othmane", ("Othman", "Outhmane")),
    ("Ilyas", ("Ilias", "Elyas")),
    ("Bilal", ("Bilel",)),
    ("Pierre", ("Piere",)),
    ("Jean", ("Jean-Marc",)),
    ("Nicolas", ("Nicholas",)),
    ("Thomas", ("Tomas",)),
    ("Julien", ("Julian",)),
    ("François", ("Francois",)),
    ("Jérôme", ("Jerome",)),
    ("محمد", ("Mohammed",)),
    ("يوسف", ("Youssef",)),
)

FEMALE_FIRST: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Fatima Zahra", ("Fatima-Zahra", "Fatimazahra", "Fatim Zahra")),
    ("Fatima", ("Fatema", "Fatma")),
    ("Khadija", ("Khadidja", "Khadeeja")),
    ("Aicha", ("Aïcha", "Aisha", "Aycha")),
    ("Meryem", ("Maryam", "Meriem", "Mariam")),
    ("Salma", ("Selma",)),
    ("Imane", ("Iman", "Imene")),
    ("Hajar", ("Hajare", "Hadjar")),
    ("Sara", ("Sarah",)),
    ("Nadia", ("Nadya",)),
    ("Zineb", ("Zaynab", "Zainab")),
    ("Houda", ("Hoda", "Huda")),
    ("Samira", ("Samirah",)),
    ("Latifa", ("Latefa",)),
    ("Loubna", ("Lubna",)),
    ("Naima", ("Naïma", "Naeema")),
    ("Asmae", ("Asmaa", "Asma")),
    ("Hind", ("Hinde",)),
    ("Ghizlane", ("Ghizlaine", "Ghislane")),
    ("Siham", ("Sihame",)),
    ("Yasmine", ("Yasmina", "Jasmine")),
    ("Kenza", ("Kenzah",)),
    ("Nora", ("Noura",)),
    ("Oumaima", ("Oumaïma", "Umaima")),
    ("Chaimae", ("Chaima", "Chaymae")),
    ("Marie", ("Mari",)),
    ("Camille", ("Camile",)),
    ("Sophie", ("Sofie",)),
    ("Hélène", ("Helene",)),
    ("Élodie", ("Elodie",)),
    ("فاطمة", ("Fatima",)),
    ("خديجة", ("Khadija",)),
)

# (last name, spelling variants)
LAST_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("El Amrani", ("Elamrani", "Amrani", "El-Amrani")),
    ("Benjelloun", ("Ben Jelloun", "Benjeloun")),
    ("Alaoui", ("El Alaoui", "Alaoui Mdaghri")),
    ("El Idrissi", ("Idrissi", "Elidrissi")),
    ("Bennani", ("Benani",)),
    ("Tazi", ("Tazy",)),
    ("Berrada", ("Berada",)),
    ("Chraibi", ("Chraïbi", "Cheraibi")),
    ("Fassi Fihri", ("El Fassi", "Fassi-Fihri")),
    ("Sqalli", ("Skalli",)),
    ("Lahlou", ("Lahlu",)),
    ("Benkirane", ("Benkiran",)),
    ("Ouazzani", ("Wazzani", "Ouazani")),
    ("El Mansouri", ("Mansouri", "Elmansouri")),
    ("Bouzidi", ("Bouzidy",)),
    ("Ait Ali", ("Aït Ali", "Ait-Ali")),
    ("Ait Benhaddou", ("Aït Benhaddou",)),
    ("Ouali", ("Wali",)),
    ("Zouhair", ("Zouheir",)),
    ("Cherkaoui", ("Cherqaoui", "Charkaoui")),
    ("Hajji", ("Hadji", "El Hajji")),
    ("Naciri", ("Nassiri",)),
    ("Kettani", ("El Kettani", "Ketani")),
    ("Belhaj", ("Belhadj",)),
    ("Boukhari", ("Bukhari", "El Boukhari")),
    ("Rami", ("Rammi",)),
    ("Saidi", ("Saïdi", "Essaidi")),
    ("Zerouali", ("Zeroual",)),
    ("Mernissi", ("Merniss",)),
    ("Guessous", ("Gessous",)),
    ("Dupont", ("Dupond",)),
    ("Martin", ("Martins",)),
    ("Lefèvre", ("Lefevre", "Lefebvre")),
    ("Moreau", ("Moreaux",)),
    ("Girard", ("Gérard",)),
    ("Durand", ("Durant",)),
    ("العمراني", ("El Amrani",)),
    ("بنجلون", ("Benjelloun",)),
)

# (city, spelling variants, zip prefix, region/state)
CITIES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("Casablanca", ("Casa", "Dar el Beida"), "20", "Casablanca-Settat"),
    ("Rabat", ("Rbat",), "10", "Rabat-Salé-Kénitra"),
    ("Fès", ("Fes", "Fez"), "30", "Fès-Meknès"),
    ("Marrakech", ("Marrakesh", "Marakech"), "40", "Marrakech-Safi"),
    ("Tanger", ("Tangier", "Tanja"), "90", "Tanger-Tétouan-Al Hoceïma"),
    ("Agadir", ("Agadire",), "80", "Souss-Massa"),
    ("Meknès", ("Meknes",), "50", "Fès-Meknès"),
    ("Oujda", ("Oujdah",), "60", "Oriental"),
    ("Kénitra", ("Kenitra",), "14", "Rabat-Salé-Kénitra"),
    ("Tétouan", ("Tetouan", "Tetuan"), "93", "Tanger-Tétouan-Al Hoceïma"),
    ("Salé", ("Sale",), "11", "Rabat-Salé-Kénitra"),
    ("El Jadida", ("Jadida",), "24", "Casablanca-Settat"),
    ("Mohammedia", ("Mohamedia",), "28", "Casablanca-Settat"),
    ("Safi", ("Asfi",), "46", "Marrakech-Safi"),
    ("Béni Mellal", ("Beni Mellal",), "23", "Béni Mellal-Khénifra"),
    ("Nador", ("Nadour",), "62", "Oriental"),
    ("Essaouira", ("Mogador",), "44", "Marrakech-Safi"),
    ("Laâyoune", ("Laayoune",), "70", "Laâyoune-Sakia El Hamra"),
)
# Casablanca and Rabat hold most customers: cumulative weights for `rng.choices`.
CITY_WEIGHTS = (30, 12, 8, 9, 7, 5, 4, 4, 3, 3, 4, 2, 2, 2, 1, 1, 1, 1)

STREETS = (
    "Boulevard Mohammed V",
    "Avenue Hassan II",
    "Rue Ibn Battouta",
    "Boulevard Zerktouni",
    "Avenue des FAR",
    "Rue Allal Ben Abdellah",
    "Boulevard Anfa",
    "Avenue Mohammed VI",
    "Rue de Fès",
    "Derb Sidi Bouloukat",
    "Quartier Maârif",
    "Hay Riad",
    "Rue Oued Sebou",
)

OCCUPATIONS = (
    "Engineer",
    "Teacher",
    "Doctor",
    "Nurse",
    "Pharmacist",
    "Accountant",
    "Shopkeeper",
    "Student",
    "Developer",
    "Sales manager",
    "Driver",
    "Farmer",
    "Lawyer",
    "Architect",
    "Civil servant",
    "Artisan",
    "Retired",
    "Entrepreneur",
    "Commerçant",
    "Enseignante",
    "Ingénieur",
)

EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "hotmail.com",
    "hotmail.fr",
    "yahoo.fr",
    "outlook.com",
    "menara.ma",
    "iam.ma",
)


@functools.lru_cache(maxsize=4096)
def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters only: "Fatima Zahra" -> "fatimazahra", "Lefèvre" -> "lefevre"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def latin(name: str, variants: tuple[str, ...]) -> str:
    """The Latin-script form of a name (an Arabic-script name's first variant is its Latin form)."""
    return name if name.isascii() or ascii_slug(name) else variants[0]


def make_email(
    rng: random.Random, first: str, last: str, first_v: tuple[str, ...], last_v: tuple[str, ...]
) -> str:
    """An email derived from the person's (Latin) name, as people really build them."""
    f = ascii_slug(latin(first, first_v)) or "contact"
    l_ = ascii_slug(latin(last, last_v)) or "client"
    pattern = int(rng.random() * 6)
    if pattern == 0:
        local = f"{f}.{l_}"
    elif pattern == 1:
        local = f"{f}{l_}{1 + int(rng.random() * 99)}"
    elif pattern == 2:
        local = f"{f[0]}.{l_}"
    elif pattern == 3:
        local = f"{l_}.{f}"
    elif pattern == 4:
        local = f"{f}_{l_}{70 + int(rng.random() * 30)}"
    else:
        local = f"{f}{1000 + int(rng.random() * 9000)}"
    return f"{local[:60]}@{EMAIL_DOMAINS[int(rng.random() * len(EMAIL_DOMAINS))]}"
