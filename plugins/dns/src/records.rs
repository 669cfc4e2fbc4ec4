//! Records as scripts see them: `#{ name, type, ttl, data }`, `data` in presentation form
//! as dig prints it, plus fields per type (MX `preference`/`exchange`, SOA `serial`…, SRV,
//! TXT `strings`/`text`, CAA `flags`/`tag`/`value`, A/AAAA `address`, CNAME/NS/PTR `target`).

use crate::names::show;
use hickory_proto::rr::{RData, Record};
use netscript_sdk::prelude::*;

/// One record as a script map.
pub fn to_map(record: &Record) -> Map {
    let mut map = Map::new();
    map.insert("name".into(), show(&record.name).into());
    map.insert("type".into(), crate::names::type_name(record.record_type()).into());
    map.insert("ttl".into(), Dynamic::from_int(INT::from(record.ttl)));
    map.insert("data".into(), presentation(&record.data).into());
    let mut set = |key: &str, value: Dynamic| {
        map.insert(key.into(), value);
    };
    let int = |n: i64| Dynamic::from_int(n);
    match &record.data {
        RData::A(a) => set("address", a.0.to_string().into()),
        RData::AAAA(a) => set("address", a.0.to_string().into()),
        RData::CNAME(n) => set("target", show(&n.0).into()),
        RData::NS(n) => set("target", show(&n.0).into()),
        RData::PTR(n) => set("target", show(&n.0).into()),
        RData::MX(mx) => {
            set("preference", int(mx.preference.into()));
            set("exchange", show(&mx.exchange).into());
        }
        RData::SOA(soa) => {
            set("mname", show(&soa.mname).into());
            set("rname", show(&soa.rname).into());
            set("serial", int(soa.serial.into()));
            set("refresh", int(soa.refresh.into()));
            set("retry", int(soa.retry.into()));
            set("expire", int(soa.expire.into()));
            set("minimum", int(soa.minimum.into()));
        }
        RData::SRV(srv) => {
            set("priority", int(srv.priority.into()));
            set("weight", int(srv.weight.into()));
            set("port", int(srv.port.into()));
            set("target", show(&srv.target).into());
        }
        RData::TXT(txt) => {
            let strings: Vec<String> = txt.txt_data.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect();
            set("text", strings.concat().into());
            set("strings", strings.into_iter().map(Dynamic::from).collect::<Array>().into());
        }
        RData::CAA(caa) => {
            set("flags", int(caa.flags().into()));
            set("tag", caa.tag.clone().into());
            set("value", String::from_utf8_lossy(&caa.value).into_owned().into());
        }
        _ => {}
    }
    map
}

pub use crate::presentation::presentation;

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{MX, TXT};
    use hickory_proto::rr::Name;
    use std::str::FromStr;

    #[test]
    fn records_carry_their_type_fields_and_digs_presentation() {
        let name = Name::from_str("example.test.").unwrap();
        let mx = Record::from_rdata(
            name.clone(),
            300,
            RData::MX(MX::new(10, Name::from_str("mail.example.test.").unwrap())),
        );
        let map = to_map(&mx);
        assert_eq!(map["type"].to_string(), "MX");
        assert_eq!(map["data"].to_string(), "10 mail.example.test.");
        assert_eq!(map["exchange"].to_string(), "mail.example.test.");
        assert_eq!(map["ttl"].as_int().unwrap(), 300);
        let txt = Record::from_rdata(name, 60, RData::TXT(TXT::new(vec!["v=spf1 -all".into(), "say \"hi\"\n".into()])));
        let map = to_map(&txt);
        assert_eq!(map["data"].to_string(), r#""v=spf1 -all" "say \"hi\"\010""#);
        assert_eq!(map["text"].to_string(), "v=spf1 -allsay \"hi\"\n");
    }
}
