"""ISO 3166-1 alpha-3 codes (for ``IsISO31661Alpha3``) and the few countries the sandbox prices in."""

from __future__ import annotations

ALPHA3 = frozenset(
    """
    AFG ALA ALB DZA ASM AND AGO AIA ATA ATG ARG ARM ABW AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN
    BMU BTN BOL BES BIH BWA BVT BRA IOT BRN BGR BFA BDI CPV KHM CMR CAN CYM CAF TCD CHL CHN CXR CCK
    COL COM COG COD COK CRI CIV HRV CUB CUW CYP CZE DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH
    FLK FRO FJI FIN FRA GUF PYF ATF GAB GMB GEO DEU GHA GIB GRC GRL GRD GLP GUM GTM GGY GIN GNB GUY
    HTI HMD VAT HND HKG HUN ISL IND IDN IRN IRQ IRL IMN ISR ITA JAM JPN JEY JOR KAZ KEN KIR PRK KOR
    KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MAC MDG MWI MYS MDV MLI MLT MHL MTQ MRT MUS MYT MEX
    FSM MDA MCO MNG MNE MSR MAR MOZ MMR NAM NRU NPL NLD NCL NZL NIC NER NGA NIU NFK MKD MNP NOR OMN
    PAK PLW PSE PAN PNG PRY PER PHL PCN POL PRT PRI QAT REU ROU RUS RWA BLM SHN KNA LCA MAF SPM VCT
    WSM SMR STP SAU SEN SRB SYC SLE SGP SXM SVK SVN SLB SOM ZAF SGS SSD ESP LKA SDN SUR SJM SWE CHE
    SYR TWN TJK TZA THA TLS TGO TKL TON TTO TUN TUR TKM TCA TUV UGA UKR ARE GBR USA UMI URY UZB VUT
    VEN VNM VGB VIR WLF ESH YEM ZMB ZWE
    """.split()
)


def is_alpha3(value: object) -> bool:
    """validator.js ``isISO31661Alpha3`` upper-cases before the lookup."""
    return isinstance(value, str) and value.upper() in ALPHA3


# code -> (country name, currency). Anything else is named after its code and priced in USD.
COUNTRIES: dict[str, tuple[str, str]] = {
    "GBR": ("United Kingdom", "GBP"),
    "ZAF": ("South Africa", "ZAR"),
    "USA": ("United States", "USD"),
    "DEU": ("Germany", "EUR"),
    "PRT": ("Portugal", "EUR"),
    "FRA": ("France", "EUR"),
    "ESP": ("Spain", "EUR"),
    "IRL": ("Ireland", "EUR"),
    "NLD": ("Netherlands", "EUR"),
    "THA": ("Thailand", "THB"),
    "CAN": ("Canada", "CAD"),
    "AUS": ("Australia", "AUD"),
    "CHE": ("Switzerland", "CHF"),
    "MLT": ("Malta", "EUR"),
}

# Fixed USD -> local rates so localPrice is deterministic.
USD_RATES: dict[str, float] = {
    "USD": 1.0,
    "GBP": 0.79,
    "EUR": 0.92,
    "ZAR": 18.15,
    "THB": 35.5,
    "CAD": 1.36,
    "AUD": 1.52,
    "CHF": 0.88,
}


def country_info(code: str) -> tuple[str, str]:
    return COUNTRIES.get(code, (code, "USD"))


def to_local(amount_usd: float, currency: str) -> float:
    return round(amount_usd * USD_RATES.get(currency, 1.0), 2)
