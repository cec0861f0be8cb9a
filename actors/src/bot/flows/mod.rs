//! The customer flows, one module each. Handlers take a [`Ctx`](super::context::Ctx); those
//! behind buttons return the [`Toast`](super::context::Toast) the press is answered with.

pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod deposit;
pub mod guard;
pub mod info;
pub mod invoice;
pub mod orders;
pub mod snk;
pub mod start;
