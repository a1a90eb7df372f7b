//! Who may do what on the register. Officials of any bureau and platform administrators keep
//! the register; a company's own users keep their company's entries; yearly figures are read
//! only by the company, officials, administrators and expert reviewers.

use access::{OrganisationKind, Principal, Role};

use crate::company::{Company, CompanyFields};
use crate::error::{IndustryError, Result};

/// An official of any bureau or a platform administrator.
pub(crate) fn keeps_register(actor: &Principal) -> bool {
    actor.has_role(Role::BureauOfficial) || actor.has_role(Role::PlatformAdmin)
}

/// A user of the company organisation bound to this company.
pub(crate) fn acts_for(actor: &Principal, organisation_id: Option<&str>) -> bool {
    actor.has_role(Role::CompanyUser)
        && actor.organisation.kind == OrganisationKind::Company
        && organisation_id == Some(actor.organisation.id.as_str())
}

pub(crate) fn may_register(actor: &Principal, new: &CompanyFields) -> Result<()> {
    if keeps_register(actor) {
        return Ok(());
    }
    if acts_for(actor, new.organisation_id.as_deref()) {
        // A company registers itself only under the code its organisation was admitted with.
        let code_on_file = actor.organisation.uscc.as_deref();
        if code_on_file.is_none_or(|c| c.eq_ignore_ascii_case(new.uscc.as_str())) {
            return Ok(());
        }
        return Err(IndustryError::forbidden(
            "企业用户只能以本单位登记的统一社会信用代码登记本企业",
            "a company user registers only its own company, under its organisation's credit code",
        ));
    }
    Err(IndustryError::forbidden(
        "只有主管部门工作人员、平台管理员或企业本身可以登记企业",
        "only bureau officials, platform administrators or the company itself register a company",
    ))
}

pub(crate) fn may_edit(actor: &Principal, company: &Company) -> Result<()> {
    if keeps_register(actor) || acts_for(actor, company.organisation_id.as_deref()) {
        Ok(())
    } else {
        Err(IndustryError::forbidden(
            "只有主管部门工作人员、平台管理员或本企业用户可以修改该企业的信息",
            "only bureau officials, platform administrators or the company's own users change its entries",
        ))
    }
}

/// What a company user may not change about its own company.
pub(crate) fn may_change(actor: &Principal, company: &Company, new: &CompanyFields) -> Result<()> {
    may_edit(actor, company)?;
    if keeps_register(actor) {
        return Ok(());
    }
    if new.uscc != company.uscc {
        return Err(IndustryError::forbidden(
            "企业用户不能修改统一社会信用代码，请联系主管部门",
            "a company user cannot change the credit code; ask the bureau",
        ));
    }
    if new.organisation_id != company.organisation_id {
        return Err(IndustryError::forbidden(
            "企业用户不能更改企业绑定的机构账号",
            "a company user cannot change which organisation acts for the company",
        ));
    }
    Ok(())
}

pub(crate) fn may_read_figures(actor: &Principal, company: &Company) -> Result<()> {
    if keeps_register(actor)
        || actor.has_role(Role::ExpertReviewer)
        || acts_for(actor, company.organisation_id.as_deref())
    {
        Ok(())
    } else {
        Err(IndustryError::forbidden(
            "企业年度经营数据仅本企业、主管部门、平台管理员和评审专家可查看",
            "yearly figures are shown only to the company, bureau officials, administrators and expert reviewers",
        ))
    }
}

pub(crate) fn may_import(actor: &Principal) -> Result<()> {
    if keeps_register(actor) {
        Ok(())
    } else {
        Err(IndustryError::forbidden(
            "只有主管部门工作人员或平台管理员可以批量导入",
            "only bureau officials and platform administrators import files",
        ))
    }
}
