"""A minimal OpenFisca country model of eight clause groups of Suzhou's biomedicine measures
(第六、七、八、十一、十三、十五、十七、二十三条), the same clauses the Rust engine encodes in
crates/policy/clauses/suzhou-2019.toml, for the benchmark in crates/policy/examples/policy_bench.rs.

One entity, the company; one variable per input fact and one per clause group, each the sum of
its clauses' maximum amounts for the company with no past awards (committee-decided amounts
count 0), in whole yuan. Choices are small integer codes (see CODES). OpenFisca stores `int`
as int32, so products are taken in int64 before the ratio and the result, always capped at
8000万, fits back. Ratios round down to the yuan, as the Rust engine does.
"""

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.periods import DateUnit
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

Company = build_entity(key="company", plural="companies", label="A company", is_person=True)

WAN = 10_000
# 第五条: 单个企业每年资助总额最高不超过8000万元 (with no past awards, a per-award ceiling).
DOC_CAP = 8000 * WAN

# Choice codes, shared with run.py's CSV reader.
CODES = {
    "city": ["suzhou", "nanjing"],
    "major_special_project": ["none", "national", "provincial"],
    "stage": ["preclinical", "phase-1-entered", "phase-1-completed", "phase-2-entered",
              "phase-2-completed", "phase-3-entered", "phase-3-completed",
              "marketing-application", "approved"],
    "device_class": ["class-1", "class-2", "class-3"],
    "intl_accreditation": ["none", "aaalac", "who", "fercap-sidcer", "aahrpp"],
    "contract_role": ["commissioning-party", "contract-manufacturer"],
    "overseas_approval": ["none", "clinical", "marketing"],
    "overseas_agency": ["fda", "ema", "pmda", "edqm", "other"],
    "platform_status": ["new", "operating"],
}

MONEY = ["special_project_funding", "product_rd_spend", "cnas_equipment_spend",
         "intl_accreditation_fees", "total_investment", "actual_investment",
         "transaction_amount", "service_to_local_unrelated"]
COUNTS = ["glp_items", "gcp_new_specialties"]
FLAGS = ["independent_legal_person", "converted_locally", "in_supported_field",
         "device_newly_registered", "innovative_product", "first_generic_consistency",
         "glp_first_time", "cnas_first_time", "registered_in_city", "industrialised_locally",
         "marketing_authorisation_holder", "counterparty_local", "counterparty_unrelated",
         "transaction_audited", "platform_recognised", "in_key_area"]


def code(fact, value):
    return CODES[fact].index(value)


def _input(name, value_type):
    return type(name, (Variable,), {
        "value_type": value_type,
        "entity": Company,
        "definition_period": DateUnit.YEAR,
        "label": name,
    })


INPUTS = ([_input(n, int) for n in MONEY + COUNTS + list(CODES)]
          + [_input(n, bool) for n in FLAGS])


def share(base, basis_points, cap):
    """basis_points/10000 of base, rounded down, at most cap."""
    return np.minimum(base.astype(np.int64) * basis_points // 10_000, cap)


def in_suzhou(c, p):
    # 第一条: registered in Suzhou with its own legal personality.
    return (c("city", p) == code("city", "suzhou")) & c("independent_legal_person", p)


class suzhou_art6(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第六条 新药研发"

    def formula(c, p):
        base = in_suzhou(c, p)
        special = np.isin(c("major_special_project", p), [code("major_special_project", "national"), code("major_special_project", "provincial")])
        a = np.where(base & special, share(c("special_project_funding", p), 2000, 2000 * WAN), 0)
        local = base & c("converted_locally", p) & c("in_supported_field", p)
        stage = c("stage", p)
        entry = np.select(
            [stage == code("stage", "phase-1-entered"), stage == code("stage", "phase-2-entered"), stage == code("stage", "phase-3-entered")],
            [100 * WAN, 150 * WAN, 250 * WAN], 0)
        rd = c("product_rd_spend", p)
        completion = np.select(
            [stage == code("stage", "phase-1-completed"), stage == code("stage", "phase-2-completed"), stage == code("stage", "phase-3-completed")],
            [share(rd, 2000, 100 * WAN), share(rd, 2000, 200 * WAN), share(rd, 2000, 400 * WAN)], 0)
        # 单个企业每年资助最高不超过3000万元 (per award, with no past awards).
        return np.minimum(a, DOC_CAP) + np.where(local, np.minimum(entry, 3000 * WAN) + np.minimum(completion, 3000 * WAN), 0)


class suzhou_art7(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第七条 医疗器械"

    def formula(c, p):
        base = in_suzhou(c, p) & c("device_newly_registered", p)
        rd = c("product_rd_spend", p)
        cls = c("device_class", p)
        class3 = np.where(base & (cls == code("device_class", "class-3")), share(rd, 2000, 300 * WAN), 0)
        class2 = base & c("in_supported_field", p) & ((cls == code("device_class", "class-2")) | c("innovative_product", p))
        other = np.where(class2, share(rd, 1000, 50 * WAN), 0)
        return np.minimum(class3, 500 * WAN) + np.minimum(other, 500 * WAN)


class suzhou_art8(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第八条 仿制药品"

    def formula(c, p):
        ok = in_suzhou(c, p) & c("first_generic_consistency", p)
        return np.where(ok, share(c("product_rd_spend", p), 2000, 500 * WAN), 0)


class suzhou_art11(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第十一条 资质认证"

    def formula(c, p):
        base = in_suzhou(c, p)
        items = c("glp_items", p)
        glp = np.where(base & c("glp_first_time", p), np.select([items >= 5, items >= 3], [200 * WAN, 100 * WAN], 0), 0)
        n = c("gcp_new_specialties", p).astype(np.int64)
        gcp = np.where(base & (n >= 1), n * 50 * WAN, 0)
        cnas = np.where(base & c("cnas_first_time", p), share(c("cnas_equipment_spend", p), 2000, 300 * WAN), 0)
        intl_ok = base & (c("intl_accreditation", p) != code("intl_accreditation", "none"))
        intl = np.where(intl_ok, share(c("intl_accreditation_fees", p), 2000, 200 * WAN), 0)
        return np.minimum(glp, DOC_CAP) + np.minimum(gcp, DOC_CAP) + cnas + intl


class suzhou_art13(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第十三条 产业化落地"

    def formula(c, p):
        base = in_suzhou(c, p) & c("registered_in_city", p) & c("industrialised_locally", p)
        total = c("total_investment", p)
        actual = c("actual_investment", p)
        drug = base & (c("stage", p) == code("stage", "approved")) & (total >= 10_000 * WAN) & (total <= 50_000 * WAN)
        cls = c("device_class", p)
        device = base & ((cls == code("device_class", "class-2")) | (cls == code("device_class", "class-3"))) & (total >= 5000 * WAN) & (total <= 10_000 * WAN)
        # Above the bands: 一事一议, no computable amount.
        return np.where(drug, share(actual, 1000, 2000 * WAN), 0) + np.where(device, share(actual, 1000, 500 * WAN), 0)


class suzhou_art15(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第十五条 模式创新"

    def formula(c, p):
        base = in_suzhou(c, p) & c("counterparty_local", p) & c("transaction_audited", p)
        role = c("contract_role", p)
        tx = c("transaction_amount", p)
        party = base & (role == code("contract_role", "commissioning-party")) & c("marketing_authorisation_holder", p) & c("counterparty_unrelated", p)
        maker = base & (role == code("contract_role", "contract-manufacturer"))
        return np.where(party, share(tx, 500, 1000 * WAN), 0) + np.where(maker, share(tx, 1000, 500 * WAN), 0)


class suzhou_art17(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第十七条 国际市场"

    def formula(c, p):
        ok = in_suzhou(c, p) & (c("overseas_approval", p) == code("overseas_approval", "marketing"))
        return np.where(ok, 100 * WAN, 0)


class suzhou_art23(Variable):
    value_type = int
    entity = Company
    definition_period = DateUnit.YEAR
    label = "第二十三条 公共平台"

    def formula(c, p):
        base = in_suzhou(c, p) & c("platform_recognised", p)
        status = c("platform_status", p)
        new = base & (status == code("platform_status", "new")) & c("in_key_area", p)
        operating = base & (status == code("platform_status", "operating"))
        return (np.where(new, share(c("total_investment", p), 3000, 2000 * WAN), 0)
                + np.where(operating, share(c("service_to_local_unrelated", p), 1000, 500 * WAN), 0))


GROUPS = ["suzhou_art6", "suzhou_art7", "suzhou_art8", "suzhou_art11",
          "suzhou_art13", "suzhou_art15", "suzhou_art17", "suzhou_art23"]


class SuzhouBiomedicine(TaxBenefitSystem):
    def __init__(self):
        super().__init__([Company])
        for v in INPUTS + [suzhou_art6, suzhou_art7, suzhou_art8, suzhou_art11,
                           suzhou_art13, suzhou_art15, suzhou_art17, suzhou_art23]:
            self.add_variable(v)
