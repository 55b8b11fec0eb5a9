// The Boost.Test entry point shared by every crdex test binary.
#define BOOST_TEST_MODULE crdex
#include <boost/test/unit_test.hpp>
