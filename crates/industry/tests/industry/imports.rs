//! Imports: the good samples write everything in one go, the bad sample writes nothing and
//! reports every bad cell by the row and column a person sees.

use std::path::PathBuf;

use industry::{Format, ImportKind, IndustryError, Stage};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use crate::{GULOU, JIANGBEI, JIANGNING, World, count, gulou, ledger_actions, on_both};

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    std::fs::read(&path).unwrap()
}

on_both!(the_good_csv_creates_companies_and_their_years, good_csv);
async fn good_csv(w: &World) {
    let report = w
        .industry
        .import(
            &w.official,
            ImportKind::Companies,
            Format::Csv,
            &sample("companies-good.csv"),
        )
        .await
        .unwrap();
    assert_eq!(report.rows, 4);
    assert_eq!(report.companies_created, 3);
    assert_eq!(report.companies_updated, 0);
    assert_eq!(report.figures_written, 4);
    let gulou_co = w.industry.company_by_uscc(GULOU).await.unwrap();
    assert_eq!(gulou_co.district, "gulou");
    let years: Vec<i16> = w
        .industry
        .figures(&w.official, &gulou_co.id)
        .await
        .unwrap()
        .iter()
        .map(|f| f.year)
        .collect();
    assert_eq!(years, vec![2023, 2024]);
    let jiangning = w.industry.company_by_uscc(JIANGNING).await.unwrap();
    assert_eq!(jiangning.paid_in_capital_yuan, 80_000_000);
    assert!(jiangning.listed);
    assert_eq!(jiangning.founded.to_string(), "2012-05-20");
    assert_eq!(
        jiangning.segments,
        vec![industry::Segment::MedicalDevices, industry::Segment::Ivd]
    );
    assert_eq!(ledger_actions(&w.db, "industry.import").await, 1);
    assert_eq!(ledger_actions(&w.db, "industry.company.register").await, 3);
    assert_eq!(ledger_actions(&w.db, "industry.figures.record").await, 4);
    assert_eq!(count(&w.db, "industry_imports").await, 1);

    // The same file again updates by code and keeps the replaced figures in history.
    let again = w
        .industry
        .import(
            &w.admin,
            ImportKind::Companies,
            Format::Csv,
            &sample("companies-good.csv"),
        )
        .await
        .unwrap();
    assert_eq!((again.companies_created, again.companies_updated), (0, 3));
    assert_eq!(again.figures_replaced, 4);
    assert_eq!(count(&w.db, "industry_companies").await, 3);
    assert_eq!(count(&w.db, "industry_figures_history").await, 4);
}

on_both!(
    an_import_updates_a_registered_company_and_keeps_its_binding,
    keeps_binding
);
async fn keeps_binding(w: &World) {
    let registered = w
        .industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let report = w
        .industry
        .import(
            &w.official,
            ImportKind::Companies,
            Format::Csv,
            &sample("companies-good.csv"),
        )
        .await
        .unwrap();
    assert_eq!((report.companies_created, report.companies_updated), (2, 1));
    let now = w.industry.company(&registered.id).await.unwrap();
    assert_eq!(now.organisation_id, registered.organisation_id);
    assert_eq!(now.created_at, registered.created_at);
}

/// The rows of companies-good.csv as a workbook: numbers as numbers, the founding day as an
/// Excel date, the header starting at B2 (row 1 and column A empty).
fn good_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let props = DocProperties::new()
        .set_title("lifehealth sample import (synthetic data)")
        .set_creation_datetime(&ExcelDateTime::from_ymd(2025, 1, 1).unwrap());
    book.set_properties(&props);
    let sheet = book.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let headers = [
        "uscc",
        "name",
        "district",
        "park",
        "segments",
        "founded",
        "paid_in_capital_yuan",
        "listed",
        "year",
        "revenue_yuan",
        "rd_spend_yuan",
        "staff",
        "output_yuan",
        "tax_yuan",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(1, c as u16 + 1, *h).unwrap();
    }
    struct Row(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        (u16, u8, u8),
        f64,
        bool,
        f64,
        [f64; 4],
        Option<f64>,
    );
    let rows = [
        Row(
            GULOU,
            "金陵示例生物医药有限公司（合成数据）",
            "鼓楼区",
            "",
            "生物药、CXO",
            (2016, 3, 15),
            5e7,
            false,
            2023.0,
            [1.2e8, 3e7, 210.0, 1.1e8],
            Some(6e6),
        ),
        Row(
            GULOU,
            "金陵示例生物医药有限公司（合成数据）",
            "鼓楼区",
            "",
            "生物药、CXO",
            (2016, 3, 15),
            5e7,
            false,
            2024.0,
            [1.5e8, 4.2e7, 260.0, 1.4e8],
            None,
        ),
        Row(
            JIANGBEI,
            "江北示例细胞科技有限公司（合成数据）",
            "江北新区",
            "南京生物医药谷（示例）",
            "细胞与基因",
            (2019, 7, 1),
            2e7,
            false,
            2024.0,
            [8e6, 1.5e7, 85.0, 6e6],
            None,
        ),
        Row(
            JIANGNING,
            "江宁示例医疗器械有限公司（合成数据）",
            "jiangning",
            "江宁高新区（示例）",
            "医工；IVD",
            (2012, 5, 20),
            8e7,
            true,
            2024.0,
            [3e8, 2.4e7, 540.0, 2.8e8],
            Some(1.5e7),
        ),
    ];
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        for (c, text) in [r.0, r.1, r.2, r.3, r.4].iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(row, c as u16 + 1, *text).unwrap();
            }
        }
        let (y, m, d) = r.5;
        sheet
            .write_datetime_with_format(
                row,
                6,
                ExcelDateTime::from_ymd(y, m, d).unwrap(),
                &date_format,
            )
            .unwrap();
        sheet.write_number(row, 7, r.6).unwrap();
        sheet.write_boolean(row, 8, r.7).unwrap();
        sheet.write_number(row, 9, r.8).unwrap();
        for (k, v) in r.9.iter().enumerate() {
            sheet.write_number(row, 10 + k as u16, *v).unwrap();
        }
        if let Some(tax) = r.10 {
            sheet.write_number(row, 14, tax).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

on_both!(a_good_xlsx_imports_like_the_csv, good_xlsx_import);
async fn good_xlsx_import(w: &World) {
    let bytes = good_xlsx();
    // Keep the generated workbook as the sample file (written once; the test reads what it wrote).
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/companies-good.xlsx");
    if !path.exists() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let report = w
        .industry
        .import(&w.official, ImportKind::Companies, Format::Xlsx, &bytes)
        .await
        .unwrap();
    assert_eq!(report.rows, 4);
    assert_eq!(report.companies_created, 3);
    assert_eq!(report.figures_written, 4);
    let jiangning = w.industry.company_by_uscc(JIANGNING).await.unwrap();
    assert_eq!(jiangning.founded.to_string(), "2012-05-20");
    assert!(jiangning.listed);
    let figures = w
        .industry
        .figures(&w.official, &jiangning.id)
        .await
        .unwrap();
    assert_eq!(figures[0].revenue_yuan, 300_000_000);
    assert_eq!(figures[0].tax_yuan, Some(15_000_000));
    // The stored sample imports too.
    let stored = w
        .industry
        .import(
            &w.official,
            ImportKind::Companies,
            Format::Xlsx,
            &std::fs::read(&path).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(stored.companies_updated, 3);
}

on_both!(
    the_bad_csv_writes_nothing_and_reports_every_bad_cell,
    bad_csv
);
async fn bad_csv(w: &World) {
    let e = w
        .industry
        .import(
            &w.official,
            ImportKind::Companies,
            Format::Csv,
            &sample("companies-bad.csv"),
        )
        .await
        .unwrap_err();
    let IndustryError::ImportRejected(errors) = &e else {
        panic!("expected a rejected import, got {e:?}");
    };
    assert_eq!(e.kind().status(), 400);
    let cells: Vec<(usize, &str)> = errors.iter().map(|r| (r.row, r.column.as_str())).collect();
    assert_eq!(
        cells,
        vec![
            (2, "统一社会信用代码"),
            (3, "企业名称"),
            (3, "区"),
            (4, "产业领域"),
            (4, "实缴资本（元）"),
            (4, "研发投入（元）"),
            (5, "年度"),
            (7, "营业收入（元）"),
        ],
        "{errors:#?}"
    );
    let check = &errors[0];
    assert_eq!(check.value, "91320106MA1HC00012");
    assert!(
        check.message_zh.contains("第18位校验码应为1，实为2"),
        "{}",
        check.message_zh
    );
    assert!(check.message_en.contains("should be '1'"));
    assert_eq!(errors[2].value, "海淀区");
    assert_eq!(errors[4].value, "-5");
    assert!(errors[6].message_zh.contains("1949"));
    assert!(
        errors
            .iter()
            .all(|r| !r.message_zh.is_empty() && !r.message_en.is_empty())
    );
    for table in ["industry_companies", "industry_figures", "industry_imports"] {
        assert_eq!(count(&w.db, table).await, 0, "{table}");
    }
    assert_eq!(ledger_actions(&w.db, "industry.import").await, 0);
}

on_both!(
    a_file_with_wrong_headers_or_too_many_rows_is_refused_whole,
    bad_files
);
async fn bad_files(w: &World) {
    let e = w
        .industry
        .import(
            &w.official,
            ImportKind::Companies,
            Format::Csv,
            "统一社会信用代码,企业名称,备注\nx,y,z\n".as_bytes(),
        )
        .await
        .unwrap_err();
    let IndustryError::ImportRejected(errors) = &e else {
        panic!("expected a rejected import, got {e:?}");
    };
    assert!(errors.iter().all(|r| r.row == 1));
    assert!(errors.iter().any(|r| r.column == "备注"));
    assert!(errors.iter().any(|r| r.column == "区|district"));
    let max_rows = industry::import::limits().max_rows.value as usize;
    let mut big = String::from("uscc\n");
    for _ in 0..=max_rows {
        big.push_str("x\n");
    }
    let e = w
        .industry
        .import(
            &w.official,
            ImportKind::Companies,
            Format::Csv,
            big.as_bytes(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("file"));
    assert_eq!(count(&w.db, "industry_companies").await, 0);
}

on_both!(stage_events_import_after_their_companies, stages_csv);
async fn stages_csv(w: &World) {
    // Before the companies exist, every row is refused on its code.
    let e = w
        .industry
        .import(
            &w.official,
            ImportKind::Stages,
            Format::Csv,
            &sample("stages-good.csv"),
        )
        .await
        .unwrap_err();
    let IndustryError::ImportRejected(errors) = &e else {
        panic!("expected a rejected import, got {e:?}");
    };
    assert_eq!(errors.len(), 8);
    assert!(errors.iter().all(|r| r.column == "统一社会信用代码"));
    w.industry
        .import(
            &w.official,
            ImportKind::Companies,
            Format::Csv,
            &sample("companies-good.csv"),
        )
        .await
        .unwrap();
    let report = w
        .industry
        .import(
            &w.official,
            ImportKind::Stages,
            Format::Csv,
            &sample("stages-good.csv"),
        )
        .await
        .unwrap();
    assert_eq!(report.products_created, 4);
    assert_eq!(report.stages_recorded, 8);
    let gulou_co = w.industry.company_by_uscc(GULOU).await.unwrap();
    let products = w.industry.products_of(&gulou_co.id).await.unwrap();
    let antibody = products.iter().find(|p| p.name.contains("HC-001")).unwrap();
    assert_eq!(antibody.started.to_string(), "2019-01-10");
    assert_eq!(
        w.industry.current_stage(&antibody.id).await.unwrap(),
        Some(Stage::Phase2Entered)
    );
    let funnel = w.industry.pipeline_funnel("nanjing").await.unwrap();
    assert_eq!(funnel[0], (Stage::Preclinical, 2));
    assert_eq!(funnel[3], (Stage::Phase2Entered, 2));
    assert_eq!(funnel[4], (Stage::Phase2Completed, 0));

    // The same file again: every stage is already recorded, nothing more is written.
    let e = w
        .industry
        .import(
            &w.official,
            ImportKind::Stages,
            Format::Csv,
            &sample("stages-good.csv"),
        )
        .await
        .unwrap_err();
    let IndustryError::ImportRejected(errors) = &e else {
        panic!("expected a rejected import, got {e:?}");
    };
    assert_eq!(errors.len(), 8);
    assert!(errors.iter().all(|r| r.column == "阶段"));
    assert_eq!(count(&w.db, "industry_stage_events").await, 8);
}

on_both!(
    stage_rows_that_break_the_order_are_each_reported,
    bad_stages
);
async fn bad_stages(w: &World) {
    w.industry
        .register_company(&w.official, gulou())
        .await
        .unwrap();
    let file = "uscc,product,kind,stage,on,evidence,first_in_country\n\
        91320106MA1HC00011,示例A（合成数据）,chemical-1,phase-2-entered,2023-01-01,D1,\n\
        91320106MA1HC00011,示例A（合成数据）,chemical-1,phase-1-completed,2023-02-01,D2,\n\
        91320106MA1HC00011,示例B（合成数据）,第三类医疗器械,phase-1-entered,2023-02-01,D3,\n\
        91320106MA1HC00011,示例C（合成数据）,tcm-1,preclinical,2023-02-01,D4,是\n\
        91320106MA1HC00011,示例D（合成数据）,tcm-1,preclinical,2023-02-31,,\n\
        91320106MA1HC00011,示例E（合成数据）,chemical-1,preclinical,2020-01-01,D6,\n\
        91320106MA1HC00011,示例E（合成数据）,tcm-2,phase-1-entered,2021-01-01,D7,\n";
    let e = w
        .industry
        .import(
            &w.official,
            ImportKind::Stages,
            Format::Csv,
            file.as_bytes(),
        )
        .await
        .unwrap_err();
    let IndustryError::ImportRejected(errors) = &e else {
        panic!("expected a rejected import, got {e:?}");
    };
    let cells: Vec<(usize, &str)> = errors.iter().map(|r| (r.row, r.column.as_str())).collect();
    assert_eq!(
        cells,
        vec![
            (2, "stage"),
            (3, "stage"),
            (4, "stage"),
            (5, "first_in_country"),
            (6, "on"),
            (6, "evidence"),
            (8, "kind"),
        ],
        "{errors:#?}"
    );
    assert_eq!(count(&w.db, "industry_products").await, 0);
}
