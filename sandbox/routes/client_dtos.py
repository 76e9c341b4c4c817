"""Client DTOs (``src/client/dto/request.dto.ts``), rules listed in class-validator's report order."""

from __future__ import annotations

from typing import Any

from sandbox.validation import (
    PAGINATION,
    Field,
    date_fields,
    json_array_field,
    r_alpha3,
    r_array,
    r_array_not_empty,
    r_bool,
    r_custom,
    r_date_string,
    r_email,
    r_enum,
    r_in,
    r_not_empty,
    r_object,
    r_string,
    search_fields,
)

MEDICAL_CONDITIONS = (
    "adhd agoraphobia anxiety appetite_disorders arthritis autistic_spectrum_disorder back_and_neck_pain "
    "bipolar bladder_pain cancer_pain_and_nausea chrohns_disease_or_colitis_pain chronic_and_long_term_pain "
    "chronic_fatigue_syndrome cluster_headaches complex_regional_pain_syndrome depression dermatology dvt "
    "ehlers-danlos_syndrome endometriosis epilepsy female_gynaecological_pain fibromyalgia "
    "irritable_bowel_syndrome migraine multiple_sclerosis_pain_and_muscle_spasm nerve_pain ocd osteoporosis "
    "parkinsons_disease personality_disorder phantom_limb_pain post_traumatic_stress_disorder sciatica "
    "scoliosis sleep_disorders spondylolisthesis thalassemia_major_blood_disorder the_menopause tinnitus "
    "tourette_syndrome trigeminal_neuralgia other_medical_condition"
).split()
MEDICINES = (
    "alprazolam alfentanil amitriptyline atomoxetine azathioprine buprenorphine bupropion citalopram "
    "clonazepam codeine codeine_phosphate co-codamol_30-500 dexamfetamine diazepam diclofenac dihydrocodeine "
    "fentanyl fluoxetine fluoxetine_prozac gabapentin guanfacine infliximab lisdexamfetamine lithium "
    "lorazepam melatonin menthylphenidate meptazinol methadone methotrexate mirtazapine modafinil morphine "
    "naproxen nefopam nortriptyline omepresol omezrapol oxycodone paroxetine pentacozine pethidine "
    "prednisolone propranolol remifentanil sertraline sodium_valproate suvorexant tapentadol temazepam "
    "tramadol trazodone triazolam venlafaxine zolpidem zopiclone other_prescribed_medicines_treatments"
).split()
HISTORY5 = [
    "anxiety_disorders_including_generalized_anxiety_disorder_ocd_or_other",
    "depression",
    "mania_bipolar_disorder",
    "personality_disorder",
    "ptsd",
    "schizophrenia",
    "none",
]
HISTORY7 = [
    "psychosis",
    "schizophrenia",
    "schizoaffective_disorder",
    "anxiety",
    "depression",
    "bipolar_manic_depression_mania",
    "none",
]
HISTORY13 = ["everyday", "every_other_day", "1_2_times_per_week", "never"]
HISTORY14 = ["smoking_joints", "vaporizing", "ingestion", "topical", "never"]


def _js_array_string(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _exclusive_ok(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    has_exclusive = "never" in value or "none" in value
    others = [v for v in value if v not in ("never", "none")]
    return not (has_exclusive and others)


EXCLUSIVE = r_custom(
    _exclusive_ok,
    lambda v: f'"Never" or "None" cannot be selected along with other options \'{_js_array_string(v)}\'',
)


def _bool_required(name: str) -> Field:
    return Field(name, [r_not_empty(), r_bool()])


MEDICAL_RECORD_CREATE: list[Field] = [
    Field("dob", [r_not_empty(), r_date_string()]),
    Field("gender", [r_not_empty(), r_string()]),
    Field(
        "medicalConditions",
        [r_string(each=True), r_in(MEDICAL_CONDITIONS, each=True), r_array_not_empty(), r_array()],
        optional=True,
    ),
    Field(
        "otherMedicalCondition",
        [r_not_empty(), r_string()],
        when=lambda o: (
            isinstance(o.get("medicalConditions"), list)
            and "other_medical_condition" in o["medicalConditions"]
        ),
    ),
    Field(
        "medicinesTreatments",
        [r_string(each=True), r_in(MEDICINES, each=True), r_array_not_empty(), r_array()],
        optional=True,
    ),
    Field(
        "otherMedicalTreatments",
        [r_not_empty(), r_string()],
        when=lambda o: (
            isinstance(o.get("medicinesTreatments"), list)
            and "other_prescribed_medicines_treatments" in o["medicinesTreatments"]
        ),
    ),
    *[_bool_required(f"medicalHistory{i}") for i in range(5)],
    Field(
        "medicalHistory5",
        [
            EXCLUSIVE,
            r_not_empty(),
            r_string(each=True),
            r_in(HISTORY5, each=True),
            r_array_not_empty(),
            r_array(),
        ],
    ),
    Field("medicalHistory6", [r_bool()], optional=True),
    Field(
        "medicalHistory7",
        [EXCLUSIVE, r_string(each=True), r_in(HISTORY7, each=True), r_array_not_empty(), r_array()],
        optional=True,
    ),
    Field(
        "medicalHistory7Relation",
        [r_not_empty(), r_string()],
        when=lambda o: bool(o.get("medicalHistory7")) and "none" not in (o.get("medicalHistory7") or []),
    ),
    *[_bool_required(f"medicalHistory{i}") for i in (8, 9, 10)],
    Field("medicalHistory11", [r_string()], optional=True),
    _bool_required("medicalHistory12"),
    Field("medicalHistory13", [r_not_empty(), r_in(HISTORY13)]),
    Field(
        "medicalHistory14",
        [
            EXCLUSIVE,
            r_not_empty(each=True),
            r_string(each=True),
            r_in(HISTORY14, each=True),
            r_array_not_empty(),
            r_array(),
        ],
    ),
    Field("medicalHistory15", [r_string()], optional=True),
    Field("medicalHistory16", [r_bool()], optional=True),
    Field("prescriptionsSupplements", [r_string()], optional=True),
]

MEDICAL_RECORD_UPDATE: list[Field] = [
    Field("dob", [r_date_string()], optional=True),
    Field("gender", [r_string()], optional=True),
    Field(
        "medicalConditions",
        [r_string(each=True), r_in(MEDICAL_CONDITIONS, each=True), r_array()],
        optional=True,
    ),
    Field("otherMedicalCondition", [r_string()], optional=True),
    Field("medicinesTreatments", [r_string(each=True), r_in(MEDICINES, each=True), r_array()], optional=True),
    Field("otherMedicalTreatments", [r_string()], optional=True),
    *[Field(f"medicalHistory{i}", [r_bool()], optional=True) for i in range(5)],
    Field("medicalHistory5", [r_string(each=True), r_in(HISTORY5, each=True), r_array()], optional=True),
    Field("medicalHistory6", [r_bool()], optional=True),
    Field("medicalHistory7", [r_string(each=True), r_in(HISTORY7, each=True), r_array()], optional=True),
    Field(
        "medicalHistory7Relation",
        [r_not_empty(), r_string()],
        when=lambda o: bool(o.get("medicalHistory7")) and "none" not in (o.get("medicalHistory7") or []),
    ),
    *[Field(f"medicalHistory{i}", [r_bool()], optional=True) for i in (8, 9, 10)],
    Field("medicalHistory11", [r_string()], optional=True),
    Field("medicalHistory12", [r_bool()], optional=True),
    Field("medicalHistory13", [r_string()], optional=True),
    Field("medicalHistory14", [r_string(each=True), r_in(HISTORY14, each=True), r_array()], optional=True),
    Field("medicalHistory15", [r_string()], optional=True),
    Field("medicalHistory16", [r_bool()], optional=True),
    Field("prescriptionsSupplements", [r_string()], optional=True),
]

SHIPPING: list[Field] = [
    Field("address1", [r_string()]),
    Field("address2", [r_string()]),
    Field("landmark", [r_string()], optional=True),
    Field("city", [r_string()]),
    Field("state", [r_string()]),
    Field("country", [r_string()]),
    Field("countryCode", [r_string(), r_alpha3()]),
    Field("postalCode", [r_string()]),
]

BUSINESS_CREATE: list[Field] = [
    Field("address1", [r_string(), r_not_empty()]),
    Field("address2", [r_string(), r_not_empty()]),
    Field("landmark", [r_string()], optional=True),
    Field("city", [r_string(), r_not_empty()]),
    Field("state", [r_string(), r_not_empty()]),
    Field("country", [r_string(), r_not_empty()]),
    Field("countryCode", [r_string(), r_alpha3(), r_not_empty()]),
    Field("postalCode", [r_string()]),
    Field("name", [r_string()], optional=True),
    Field("businessType", [r_string()], optional=True),
]

BUSINESS_UPDATE: list[Field] = [
    Field("address1", [r_string()], optional=True),
    Field("address2", [r_string()], optional=True),
    Field("landmark", [r_string()], optional=True),
    Field("city", [r_string()], optional=True),
    Field("state", [r_string()], optional=True),
    Field("country", [r_string()], optional=True),
    Field("countryCode", [r_string(), r_alpha3()], optional=True),
    Field("postalCode", [r_string()]),  # no @IsOptional in the source: required when clientBusiness is sent
    Field("name", [r_string()], optional=True),
    Field("businessType", [r_string()], optional=True),
]


def _lowercase_email(value: Any) -> bool:
    return isinstance(value, str) and value == value.lower()


CREATE_CLIENT: list[Field] = [
    Field("firstName", [r_string()]),
    Field("lastName", [r_string()], optional=True),
    Field(
        "email",
        [
            r_custom(_lowercase_email, lambda _v: "Email must be in lowercase."),
            r_email(),
            r_not_empty(),
            r_string(),
        ],
    ),
    Field("phoneCode", [r_string(), r_not_empty()]),
    Field("phoneCountryCode", [r_string()], optional=True, when=lambda o: bool(o.get("contactNumber"))),
    Field("contactNumber", [r_string(), r_not_empty()]),
    Field("clientBusiness", [r_object()], optional=True, nested=BUSINESS_CREATE),
    Field("shipping", [r_not_empty(), r_object()], nested=SHIPPING),
    Field("medicalRecord", [r_not_empty(), r_object()], nested=MEDICAL_RECORD_CREATE),
]

UPDATE_CLIENT: list[Field] = [
    Field("firstName", [r_string()], optional=True),
    Field("lastName", [r_string()], optional=True),
    Field("email", [r_string()], optional=True),
    Field("contactNumber", [r_string()], optional=True),
    Field("phoneCountryCode", [r_string()], optional=True, when=lambda o: bool(o.get("contactNumber"))),
    Field("phoneCode", [r_string()], optional=True, when=lambda o: bool(o.get("contactNumber"))),
    Field("clientBusiness", [], optional=True, nested=BUSINESS_UPDATE),
    Field("shipping", [], optional=True, nested=SHIPPING),
    Field("medicalRecord", [], optional=True, nested=MEDICAL_RECORD_UPDATE),
]

LIST_CLIENTS: list[Field] = [
    *date_fields(required=False),
    json_array_field("countryCodes"),
    *search_fields(),
    Field("adminApproval", [r_enum(["PENDING", "VERIFIED", "REJECTED"])], optional=True),
    Field("status", [r_enum(["Active", "InActive"])], optional=True),
    Field("isVerified", [r_bool()], optional=True, transform=lambda v: v == "true" or v is True),
    *PAGINATION,
]

PICKER: list[Field] = [
    Field("search", [r_string()], optional=True),
    Field("status", [r_enum(["Active", "InActive"])], optional=True),
    Field("kyc", [], optional=True),
]

FILTER_BY_COUNTRY: list[Field] = [json_array_field("countryCodes"), *date_fields(required=True)]

TRANSACTIONS_QUERY: list[Field] = [
    Field(
        "status",
        [r_enum(["PENDING", "FAILED", "COMPLETED", "CANCELED", "EXPIRED", "UNDERPAID", "OVERPAID"])],
        optional=True,
    ),
    Field("method", [r_enum(["DEBIT", "CREDIT", "CRYPTO", "FIAT"])], optional=True),
]
