//! Collecting endpoints at start-up: sorted, checked, duplicates refused.

use super::EndpointRegistration;
use super::registration::EndpointEntry;
use crate::Error;

/// Every endpoint registered through `inventory` plus those given by hand,
/// sorted by path. A path used twice is refused, naming both definitions; an
/// invalid path (possible only for records built by hand) likewise.
pub(crate) fn collect_endpoints(
    explicit: &[&'static EndpointRegistration],
    use_inventory: bool,
) -> Result<Vec<&'static EndpointRegistration>, Error> {
    let mut all: Vec<&'static EndpointRegistration> = Vec::new();
    if use_inventory {
        all.extend(inventory::iter::<EndpointEntry>.into_iter().map(|e| e.0));
    }
    for reg in explicit {
        // The same record given by hand and through inventory counts once.
        if !all.iter().any(|known| std::ptr::eq(*known, *reg)) {
            all.push(reg);
        }
    }
    for reg in &all {
        if let Err(e) = fastagentic_rules::path::check_endpoint_path(reg.path) {
            return Err(Error::InvalidEndpoint {
                endpoint: reg.name.to_owned(),
                site: reg.site(),
                message: e.message,
            });
        }
    }
    all.sort_by(|a, b| {
        a.path
            .cmp(b.path)
            .then(a.file.cmp(b.file))
            .then(a.line.cmp(&b.line))
    });
    for pair in all.windows(2) {
        if pair[0].path == pair[1].path {
            return Err(Error::DuplicatePath {
                path: pair[0].path.to_owned(),
                first: pair[0].name.to_owned(),
                first_site: pair[0].site(),
                second: pair[1].name.to_owned(),
                second_site: pair[1].site(),
            });
        }
    }
    Ok(all)
}
