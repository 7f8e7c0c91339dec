//! Validation benchmarks: the whole use case on a synthetic list, and the
//! per-cell parsers, with the mobile fast path beside the full parser it
//! replaces for common input.
//!
//! cargo bench -p batchmsg-core --bench validate

use std::hint::black_box;
use std::io::{Cursor, sink};

use batchmsg_core::date_of_birth::DateOfBirth;
use batchmsg_core::message::Template;
use batchmsg_core::mobile::{UkMobile, classify_with_full_parser};
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::patient_list::PatientList;
use batchmsg_core::report::CsvReports;
use batchmsg_core::validation::{Declines, ValidationOptions, validate_list};
use batchmsg_synthetic::{ListOptions, write_patient_list};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn synthetic_list(rows: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_patient_list(
        &mut bytes,
        &ListOptions {
            rows,
            seed: 7,
            with_consent_column: true,
            practice_shapes: false,
        },
    )
    .expect("writing to memory cannot fail");
    bytes
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("a real date")
}

fn whole_list(c: &mut Criterion) {
    let rows = 100_000;
    let list = synthetic_list(rows);
    let template = Template::parse("Dear ((name|patient)), you are due your flu vaccination.")
        .expect("parses");
    let opted_out = OptOutList::default();
    let mut group = c.benchmark_group("validate_list");
    group.throughput(Throughput::Elements(rows));
    group.sample_size(20);
    for (label, message) in [("no message", None), ("with message", Some(&template))] {
        group.bench_with_input(BenchmarkId::new(label, rows), &list, |b, list| {
            b.iter(|| {
                let declines = Declines::find(
                    &mut PatientList::open(Cursor::new(list.clone())).expect("opens"),
                    &opted_out,
                    today(),
                )
                .expect("reads");
                let mut patients = PatientList::open(Cursor::new(list.clone())).expect("opens");
                let mut reports = CsvReports::new(sink(), sink());
                let options = ValidationOptions {
                    message,
                    opted_out: &opted_out,
                    today: today(),
                    declines: &declines,
                };
                black_box(validate_list(&mut patients, &options, &mut reports).expect("validates"))
            });
        });
    }
    group.finish();
}

fn cells(c: &mut Criterion) {
    let mut group = c.benchmark_group("cells");
    let mobiles = [
        "07700 900123",
        "+44 7911 123456",
        "447624123456",
        "(07797) 900 123",
        "01632 960123",
    ];
    group.bench_function("mobile fast path", |b| {
        b.iter(|| {
            for m in mobiles {
                let _ = black_box(UkMobile::parse(black_box(m)));
            }
        })
    });
    let nationals = [
        "7700900123",
        "7911123456",
        "7624123456",
        "7797900123",
        "7400123456",
    ];
    group.bench_function("mobile full parser", |b| {
        b.iter(|| {
            for n in nationals {
                let _ = black_box(classify_with_full_parser(black_box(n)));
            }
        })
    });
    group.bench_function("nhs number", |b| {
        b.iter(|| black_box(NhsNumber::parse(black_box("943 476 5919"))))
    });
    group.bench_function("date of birth", |b| {
        b.iter(|| black_box(DateOfBirth::parse(black_box("07-Mar-1984"), today())))
    });
    group.finish();
}

criterion_group!(benches, whole_list, cells);
criterion_main!(benches);
