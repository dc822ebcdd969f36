//! One refresh at a time: API calls that hit 401 together share the one refresh already under
//! way instead of each spending the refresh token (a provider that rotates refresh tokens would
//! refuse all but the first, and end the session).

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use std::cell::RefCell;
use std::future::Future;

/// At most one `T`-producing future runs at a time; callers arriving while it runs get its
/// result too. Single-threaded (the background is one JS thread).
pub struct SingleFlight<T: Clone + 'static> {
    current: RefCell<Option<Shared<LocalBoxFuture<'static, T>>>>,
}

impl<T: Clone + 'static> Default for SingleFlight<T> {
    fn default() -> Self {
        SingleFlight {
            current: RefCell::new(None),
        }
    }
}

impl<T: Clone + 'static> SingleFlight<T> {
    /// Joins the flight under way, or starts one with `start` when there is none.
    pub async fn run<F, Fut>(&self, start: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T> + 'static,
    {
        let flight = {
            let mut current = self.current.borrow_mut();
            match current.as_ref() {
                Some(flight) => flight.clone(),
                None => {
                    let flight = start().boxed_local().shared();
                    *current = Some(flight.clone());
                    flight
                }
            }
        };
        let result = flight.clone().await;
        // Landed: the next 401 (with the token this flight gave) deserves a fresh refresh.
        let mut current = self.current.borrow_mut();
        if current.as_ref().is_some_and(|c| c.ptr_eq(&flight)) {
            *current = None;
        }
        result
    }

    /// True while a flight is under way.
    pub fn in_flight(&self) -> bool {
        self.current.borrow().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use futures_util::task::noop_waker_ref;
    use std::cell::Cell;
    use std::pin::pin;
    use std::rc::Rc;
    use std::task::{Context, Poll};

    /// Pending until `released` is set: stands for the token endpoint's answer.
    fn answer_when(released: Rc<Cell<bool>>) -> impl Future<Output = ()> {
        futures_util::future::poll_fn(move |_| {
            if released.get() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    #[test]
    fn concurrent_callers_share_one_run() {
        let flight = SingleFlight::<u32>::default();
        let starts = Rc::new(Cell::new(0u32));
        let released = Rc::new(Cell::new(false));
        let call = || {
            let starts = starts.clone();
            let released = released.clone();
            flight.run(move || async move {
                starts.set(starts.get() + 1);
                answer_when(released).await;
                starts.get() * 10
            })
        };
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut a = pin!(call());
        let mut b = pin!(call());
        let mut c = pin!(call());
        // All three arrive while the first run is still waiting for its answer.
        for call in [a.as_mut(), b.as_mut(), c.as_mut()] {
            assert!(call.poll(&mut cx).is_pending());
        }
        assert!(flight.in_flight());
        released.set(true);
        let results = [a, b, c].map(|call| match call.poll(&mut cx) {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("a caller still waits after the run landed"),
        });
        assert_eq!(results, [10, 10, 10]);
        assert_eq!(starts.get(), 1, "concurrent callers started several runs");
        assert!(!flight.in_flight());

        // Once landed, the next caller starts a new run.
        assert_eq!(block_on(call()), 20);
        assert_eq!(starts.get(), 2);
    }
}
