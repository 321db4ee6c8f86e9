"""Drug vocabulary: free-text order names in three house styles, with ingredient and class truth.

Classes follow the shared vocabulary: NSAID and opioid ingredients are listed there;
everything else (gabapentin, aspirin 81 mg, acetaminophen alone, ...) is class none.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from .arrays import strings

CLASSES = ("none", "nsaid", "opioid")
N_STYLES = 3  # 0 "IBUPROFEN 800 MG TAB", 1 "Ibuprofen 800 MG Oral Tablet", 2 "motrin 800"

# (display name, ingredient, class, brands, strengths, unit, (abbreviated form, long form))
Drug = tuple[str, str, str, tuple[str, ...], tuple[str, ...], str, tuple[str, str]]
TAB = ("TAB", "Oral Tablet")
CAP = ("CAP", "Oral Capsule")
ER = ("TAB ER", "Extended Release Oral Tablet")
PATCH = ("PATCH", "Transdermal System")

PAIN: list[Drug] = [
    ("Ibuprofen", "ibuprofen", "nsaid", ("Advil", "Motrin"), ("400", "600", "800"), "MG", TAB),
    ("Naproxen", "naproxen", "nsaid", ("Naprosyn",), ("250", "375", "500"), "MG", TAB),
    ("Naproxen Sodium", "naproxen", "nsaid", ("Aleve",), ("220", "550"), "MG", TAB),
    ("Meloxicam", "meloxicam", "nsaid", ("Mobic",), ("7.5", "15"), "MG", TAB),
    (
        "Diclofenac Sodium",
        "diclofenac",
        "nsaid",
        ("Voltaren",),
        ("50", "75"),
        "MG",
        ("TAB DR", "Delayed Release Oral Tablet"),
    ),
    ("Diclofenac Sodium", "diclofenac", "nsaid", ("Voltaren Gel",), ("1",), "%", ("GEL", "Topical Gel")),
    ("Celecoxib", "celecoxib", "nsaid", ("Celebrex",), ("100", "200"), "MG", CAP),
    ("Ketorolac Tromethamine", "ketorolac", "nsaid", ("Toradol",), ("10",), "MG", TAB),
    ("Etodolac", "etodolac", "nsaid", (), ("400", "500"), "MG", TAB),
    ("Nabumetone", "nabumetone", "nsaid", (), ("500", "750"), "MG", TAB),
    (
        "Hydrocodone-Acetaminophen",
        "hydrocodone/acetaminophen",
        "opioid",
        ("Norco", "Vicodin"),
        ("5-325", "7.5-325", "10-325"),
        "MG",
        TAB,
    ),
    ("Oxycodone HCl", "oxycodone", "opioid", ("Roxicodone",), ("5", "10", "15"), "MG", TAB),
    ("Oxycodone HCl ER", "oxycodone", "opioid", ("OxyContin",), ("10", "20", "40"), "MG", ER),
    (
        "Oxycodone-Acetaminophen",
        "oxycodone/acetaminophen",
        "opioid",
        ("Percocet",),
        ("5-325", "10-325"),
        "MG",
        TAB,
    ),
    ("Tramadol HCl", "tramadol", "opioid", ("Ultram",), ("50",), "MG", TAB),
    ("Acetaminophen-Codeine", "codeine/acetaminophen", "opioid", ("Tylenol #3",), ("300-30",), "MG", TAB),
    ("Morphine Sulfate ER", "morphine", "opioid", ("MS Contin",), ("15", "30"), "MG", ER),
    ("Hydromorphone HCl", "hydromorphone", "opioid", ("Dilaudid",), ("2", "4"), "MG", TAB),
    ("Fentanyl", "fentanyl", "opioid", ("Duragesic",), ("25", "50"), "MCG/HR", PATCH),
    ("Buprenorphine", "buprenorphine", "opioid", ("Butrans",), ("5", "10"), "MCG/HR", PATCH),
    ("Meperidine HCl", "meperidine", "opioid", ("Demerol",), ("50",), "MG", TAB),
    ("Tapentadol", "tapentadol", "opioid", ("Nucynta",), ("50", "75"), "MG", TAB),
]

ADJUVANT: list[Drug] = [
    ("Gabapentin", "gabapentin", "none", ("Neurontin",), ("100", "300", "600"), "MG", CAP),
    ("Pregabalin", "pregabalin", "none", ("Lyrica",), ("75", "150"), "MG", CAP),
    ("Cyclobenzaprine HCl", "cyclobenzaprine", "none", ("Flexeril",), ("5", "10"), "MG", TAB),
    ("Methocarbamol", "methocarbamol", "none", ("Robaxin",), ("500", "750"), "MG", TAB),
    ("Tizanidine HCl", "tizanidine", "none", ("Zanaflex",), ("2", "4"), "MG", TAB),
    ("Methylprednisolone", "methylprednisolone", "none", ("Medrol Dosepak",), ("4",), "MG", TAB),
    ("Acetaminophen", "acetaminophen", "none", ("Tylenol",), ("325", "500"), "MG", TAB),
    ("Lidocaine", "lidocaine", "none", ("Lidoderm",), ("5",), "%", PATCH),
    (
        "Duloxetine",
        "duloxetine",
        "none",
        ("Cymbalta",),
        ("30", "60"),
        "MG",
        ("CAP DR", "Delayed Release Oral Capsule"),
    ),
]

# Background medications, most commonly ordered first (Zipf-weighted by position).
_BACKGROUND = """
Lisinopril|10,20|TAB;Atorvastatin Calcium|20,40|TAB;Metformin HCl|500,1000|TAB;Amlodipine Besylate|5,10|TAB;
Omeprazole|20,40|CAP;Levothyroxine Sodium|50,100|TAB;Simvastatin|20,40|TAB;Losartan Potassium|50,100|TAB;
Hydrochlorothiazide|12.5,25|TAB;Metoprolol Succinate ER|25,50|ER;Albuterol Sulfate HFA|90|INH;
Sertraline HCl|50,100|TAB;Aspirin|81|TAB;Amoxicillin|500|CAP;Fluticasone Propionate|50|SPRAY;Montelukast Sodium|10|TAB;
Citalopram HBr|20|TAB;Escitalopram Oxalate|10,20|TAB;Trazodone HCl|50,100|TAB;Pantoprazole Sodium|40|TAB;
Furosemide|20,40|TAB;Prednisone|10,20|TAB;Azithromycin|250|TAB;Cephalexin|500|CAP;Fluoxetine HCl|20|CAP;
Bupropion HCl XL|150,300|ER;Rosuvastatin Calcium|10,20|TAB;Tamsulosin HCl|0.4|CAP;Cetirizine HCl|10|TAB;
Loratadine|10|TAB;Ciprofloxacin HCl|500|TAB;Doxycycline Hyclate|100|CAP;Sulfamethoxazole-Trimethoprim|800-160|TAB;
Insulin Glargine|100|INJ;Glipizide|5,10|TAB;Spironolactone|25|TAB;Warfarin Sodium|5|TAB;Apixaban|5|TAB;
Clopidogrel Bisulfate|75|TAB;Finasteride|5|TAB;Alendronate Sodium|70|TAB;Cholecalciferol|1000|CAP;
Zolpidem Tartrate|5,10|TAB;Lorazepam|0.5,1|TAB;Alprazolam|0.25,0.5|TAB;Clonazepam|0.5|TAB;Diazepam|5|TAB;
Ondansetron HCl|4|TAB;Famotidine|20|TAB;Meclizine HCl|25|TAB;Sumatriptan Succinate|50|TAB;Topiramate|25,50|TAB;
Carvedilol|6.25,12.5|TAB;Ezetimibe|10|TAB;Valsartan|80,160|TAB;Benazepril HCl|10,20|TAB;Sildenafil Citrate|20|TAB;
Estradiol|1|TAB;Nitrofurantoin Monohydrate|100|CAP;Fexofenadine HCl|180|TAB;Docusate Sodium|100|CAP;
Sennosides|8.6|TAB;Polyethylene Glycol 3350|17|POWDER;Amitriptyline HCl|10,25|TAB;Venlafaxine HCl ER|75,150|CAP;
Mirtazapine|15,30|TAB;Hydroxyzine HCl|25|TAB;Propranolol HCl|20|TAB;Pravastatin Sodium|40|TAB;
Allopurinol|100,300|TAB;Colchicine|0.6|TAB;Potassium Chloride ER|10,20|ER;Folic Acid|1|TAB;
Ferrous Sulfate|325|TAB;Methotrexate|2.5|TAB;Hydroxychloroquine Sulfate|200|TAB;Glyburide|5|TAB;
Sitagliptin|100|TAB;Pioglitazone HCl|30|TAB;Insulin Lispro|100|INJ;Diltiazem HCl ER|120,180|CAP;
Clonidine HCl|0.1|TAB;Quetiapine Fumarate|25,50|TAB;Aripiprazole|5|TAB;Lamotrigine|25,100|TAB;
Levetiracetam|500|TAB;Donepezil HCl|10|TAB;Oxybutynin Chloride|5|TAB;Mupirocin|2|OINT;Triamcinolone Acetonide|0.1|CREAM;
Ketoconazole|2|CREAM;Valacyclovir HCl|1000|TAB;Metronidazole|500|TAB;Fluconazole|150|TAB;Benzonatate|100|CAP
"""
_FORMS = {
    "TAB": TAB,
    "CAP": CAP,
    "ER": ER,
    "INH": ("INHALER", "Metered Dose Inhaler"),
    "SPRAY": ("NASAL SPRAY", "Nasal Spray"),
    "INJ": ("INJ", "Injectable Solution"),
    "POWDER": ("POWDER", "Powder for Oral Solution"),
    "OINT": ("OINT", "Topical Ointment"),
    "CREAM": ("CREAM", "Topical Cream"),
}
# salt and release words dropped to get the ingredient of a background drug
_SALTS = set(
    [
        "hcl",
        "er",
        "xl",
        "hfa",
        "sodium",
        "calcium",
        "potassium",
        "besylate",
        "succinate",
        "sulfate",
        "hbr",
        "oxalate",
        "bisulfate",
        "citrate",
        "tartrate",
        "fumarate",
        "chloride",
        "monohydrate",
        "acetonide",
        "hyclate",
        "propionate",
    ]
)
_INGREDIENT_OVERRIDES = {
    "Potassium Chloride ER": ["potassium", "chloride"],
    "Ferrous Sulfate": ["ferrous", "sulfate"],
}
_UNITS = {
    "INH": "MCG/ACTUAT",
    "SPRAY": "MCG/ACTUAT",
    "INJ": "UNIT/ML",
    "POWDER": "GM",
    "OINT": "%",
    "CREAM": "%",
}


def _background() -> list[Drug]:
    out: list[Drug] = []
    for item in _BACKGROUND.replace("\n", "").split(";"):
        name, doses, form = item.split("|")
        words = [w for w in name.lower().split() if w not in _SALTS]
        words = _INGREDIENT_OVERRIDES.get(name, words)
        unit = _UNITS.get(form, "MG")
        out.append((name, " ".join(words), "none", (), tuple(doses.split(",")), unit, _FORMS[form]))
    return out


def _names(drug: Drug, style: int) -> list[str]:
    display, _, _, brands, doses, unit, (abbr, long) = drug
    if style == 0:
        return [f"{display.upper()} {d} {unit} {abbr}" for d in doses]
    if style == 1:
        return [f"{display} {d} {unit} {long}" for d in doses]
    # clinician shorthand: brand (or generic) in lower case, strength with a slash
    stems = [b.lower() for b in brands] or [drug[1]]
    return [f"{s} {d.replace('-', '/')}" for s in stems for d in doses]


@dataclass(frozen=True)
class RxVocab:
    names: pa.Array  # flat list of distinct order strings
    ingredient: list[str]  # per name
    drug_class: list[str]  # per name
    start: np.ndarray  # (n_drugs, N_STYLES) first name index per drug and style
    count: np.ndarray  # (n_drugs, N_STYLES)
    groups: dict[str, np.ndarray]  # group -> drug indices

    def name_index(self, rng: np.random.Generator, drug: np.ndarray, style: np.ndarray) -> np.ndarray:
        count = self.count[drug, style]
        return self.start[drug, style] + np.floor(rng.random(len(drug)) * count).astype(np.int64)


@lru_cache(maxsize=1)
def rx_vocab() -> RxVocab:
    drugs = PAIN + ADJUVANT + _background()
    names: list[str] = []
    ingredient: list[str] = []
    drug_class: list[str] = []
    start = np.zeros((len(drugs), N_STYLES), dtype=np.int64)
    count = np.zeros((len(drugs), N_STYLES), dtype=np.int64)
    # names of one drug and style are contiguous so a row picks one by offset + count
    for i, drug in enumerate(drugs):
        for style in range(N_STYLES):
            start[i, style] = len(names)
            for name in _names(drug, style):
                names.append(name)
                ingredient.append(drug[1])
                drug_class.append(drug[2])
            count[i, style] = len(names) - start[i, style]
    by = [d[2] for d in drugs]
    groups = {
        "nsaid": np.array([i for i, c in enumerate(by) if c == "nsaid"]),
        "opioid": np.array([i for i, c in enumerate(by) if c == "opioid"]),
        "gabapentinoid": np.array([len(PAIN), len(PAIN) + 1]),
        "muscle_relaxant": np.arange(len(PAIN) + 2, len(PAIN) + 5),
        "steroid": np.array([len(PAIN) + 5]),
        "adjuvant_other": np.arange(len(PAIN) + 6, len(PAIN) + len(ADJUVANT)),
        "background": np.arange(len(PAIN) + len(ADJUVANT), len(drugs)),
    }
    return RxVocab(strings(names), ingredient, drug_class, start, count, groups)
