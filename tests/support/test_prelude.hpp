#pragma once
// The one include every test file starts with, to avoid the glog CHECK trap:
// Debian's LibTorch pulls in glog, whose CHECK macro silently replaces Catch2's when torch
// comes after catch.hpp. glog's header is included first (its include guard keeps torch from
// redefining CHECK later), CHECK is undefined, then Catch2 defines its own.
#if __has_include(<glog/logging.h>)
#include <glog/logging.h>
#endif
#undef CHECK
#include <catch2/catch.hpp>
