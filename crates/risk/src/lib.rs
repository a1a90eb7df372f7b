//! 10-year cardiovascular risk (China-PAR), the model registry and models trained on registry data.
