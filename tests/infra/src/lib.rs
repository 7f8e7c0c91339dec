//! The machinery of the tests that prove `infra/template.yaml` and the
//! code agree, offline: the template translated by AWS's SAM translator
//! ([`template`]), what the functions read ([`code`]) and call
//! ([`binary`]), what their roles allow ([`iam`]), and the template made
//! as a stack in moto's CloudFormation ([`stack`]) for the pipeline test.

pub mod binary;
pub mod code;
pub mod iam;
pub mod stack;
pub mod template;

/// The functions: (the template's logical id, the crate folder under
/// `functions/`, which is also the binary's name).
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("ValidateFunction", "validate"),
    ("WaveFunction", "wave"),
    ("SendFunction", "send"),
    ("DeliveryStatusFunction", "delivery-status"),
    ("SweepFunction", "sweep"),
];
