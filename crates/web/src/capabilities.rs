//! The capabilities S1 to S17 of the system map, for navigation and their pages. Texts live in
//! the message catalogues (`cap.S1`, `cap.S1.desc`); seed references are the map's own.

/// Which part of the navigation a capability sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Health,
    Industry,
    Governance,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::Health, Group::Industry, Group::Governance];

    pub fn message_key(self) -> &'static str {
        match self {
            Group::Health => "group.health",
            Group::Industry => "group.industry",
            Group::Governance => "group.governance",
        }
    }
}

/// One capability of the system map.
#[derive(Debug, Clone, Copy)]
pub struct Capability {
    pub id: &'static str,
    pub group: Group,
    /// The seed sections behind it, as `shared/design/SYSTEM-MAP.md` lists them.
    pub seeds: &'static str,
    /// Where its live page is, once built; `None` shows the description page.
    pub live_path: Option<&'static str>,
}

impl Capability {
    pub fn path(&self) -> String {
        self.live_path
            .map(str::to_owned)
            .unwrap_or_else(|| format!("/capabilities/{}", self.id))
    }

    pub fn title_key(&self) -> String {
        format!("cap.{}", self.id)
    }

    pub fn description_key(&self) -> String {
        format!("cap.{}.desc", self.id)
    }
}

pub const CAPABILITIES: [Capability; 17] = [
    Capability {
        id: "S1",
        group: Group::Health,
        seeds: "nanjing-2022 三(七), 二; nanjing-2020 二(三), 三(一)1; zhejiang 20",
        live_path: Some("/registry"),
    },
    Capability {
        id: "S2",
        group: Group::Health,
        seeds: "nanjing-2022 三(七), 二; nanjing-2020 二(三)",
        live_path: Some("/clinic"),
    },
    Capability {
        id: "S13",
        group: Group::Health,
        seeds: "nanjing-2020 二(三), 三(一)1; zhejiang 20",
        live_path: None,
    },
    Capability {
        id: "S4",
        group: Group::Health,
        seeds: "nanjing-2022 三(二); suzhou 25, 第十条; jiangsu 7",
        live_path: None,
    },
    Capability {
        id: "S11",
        group: Group::Health,
        seeds: "nanjing-2020 三(三)4; jiangsu 6",
        live_path: None,
    },
    Capability {
        id: "S12",
        group: Group::Health,
        seeds: "zhejiang 22; suzhou 3, 23-26; nanjing-2020 三(三)3",
        live_path: None,
    },
    Capability {
        id: "S17",
        group: Group::Health,
        seeds: "zhejiang 28",
        live_path: None,
    },
    Capability {
        id: "S5",
        group: Group::Industry,
        seeds: "nanjing-2022 三(一); nanjing-2020 三(二)3; suzhou 8-9",
        live_path: Some("/pools"),
    },
    Capability {
        id: "S6",
        group: Group::Industry,
        seeds: "nanjing-2022 三(三), 三(五), 三(二); suzhou 第五-二十四条; jiangsu 4-5, 13, 18, 28; zhejiang 1-4, 19",
        live_path: Some("/subsidies"),
    },
    Capability {
        id: "S7",
        group: Group::Industry,
        seeds: "nanjing-2022 三(四); nanjing-2020 三(三)1-2; suzhou 34, 第二十三条",
        live_path: None,
    },
    Capability {
        id: "S8",
        group: Group::Industry,
        seeds: "nanjing-2022 三(六); nanjing-2020 三(五)3; suzhou 10",
        live_path: Some("/products"),
    },
    Capability {
        id: "S3",
        group: Group::Industry,
        seeds: "nanjing-2022 三(二); nanjing-2020 三(四)3-4; suzhou 16-19; jiangsu 27",
        live_path: None,
    },
    Capability {
        id: "S9",
        group: Group::Industry,
        seeds: "nanjing-2022 三(八); nanjing-2020 三(五)4; suzhou 30-32",
        live_path: None,
    },
    Capability {
        id: "S14",
        group: Group::Industry,
        seeds: "zhejiang 21",
        live_path: None,
    },
    Capability {
        id: "S15",
        group: Group::Industry,
        seeds: "suzhou 第二十二条",
        live_path: None,
    },
    Capability {
        id: "S10",
        group: Group::Governance,
        seeds: "nanjing-2022 四(三); nanjing-2020 四(二) and its table; suzhou 五(二)",
        live_path: None,
    },
    Capability {
        id: "S16",
        group: Group::Governance,
        seeds: "zhejiang 三(四)",
        live_path: None,
    },
];

pub fn find(id: &str) -> Option<&'static Capability> {
    CAPABILITIES.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_to_s17_each_appear_once() {
        let mut ids: Vec<u32> = CAPABILITIES
            .iter()
            .map(|c| c.id.trim_start_matches('S').parse().expect("S<number>"))
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=17).collect::<Vec<_>>());
    }

    #[test]
    fn every_capability_has_its_texts_in_both_languages() {
        let (zh, en) = crate::i18n::keys();
        for c in &CAPABILITIES {
            for key in [c.title_key(), c.description_key()] {
                assert!(
                    zh.contains(&key.as_str()) && en.contains(&key.as_str()),
                    "{key}"
                );
            }
        }
    }
}
