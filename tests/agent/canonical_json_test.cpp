// Our canonical JSON against securesystemslib's encode_canonical (python3-securesystemslib from
// Debian), byte for byte, on inputs chosen to trip up an encoder.
#include "agent/tuf/canonical_json.hpp"

#include <gtest/gtest.h>

#include "common/hex.hpp"
#include "tests/support/data.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::tuf {
namespace {

const std::vector<std::string> kCorpus = {
    R"({"b":1,"a":2,"c":{"z":[],"y":{}}})",
    R"({"quote":"say \"hi\"","backslash":"a\\b","slash":"a/b"})",
    R"({"ctrl":"tab\there\nnewline\r\u0001\u001f","nul":"x\u0000y"})",
    R"({"unicode":"caf\u00e9 \u65e5\u672c \ud83d\ude00","raw":"café 日本 😀"})",
    R"({"\u00e9":1,"e":2,"z":3,"\u65e5":4,"E":5,"_":6,"~":7})",
    R"([1,-1,0,9223372036854775807,-9223372036854775808,18446744073709551615])",
    R"({"t":true,"f":false,"n":null,"empty_s":"","empty_a":[],"empty_o":{}})",
    R"({"deep":[[[[{"a":[{"b":[1,2,{"c":"d"}]}]}]]]]})",
    R"({"signed":{"_type":"root","keys":{"abc":{"keytype":"ed25519","keyval":{"public":"00"}}}}})",
    R"("just a string with \"quotes\" and \\")",
};

TEST(CanonicalJson, MatchesSecuresystemslibByteForByte) {
  test::TempDir dir;
  std::string lines;
  for (const auto& doc : kCorpus)
    lines += doc + "\n";
  test::write_bytes(dir / "corpus", test::as_bytes(lines));
  auto r =
      test::run_process({"/usr/bin/python3", "-c",
                         "import json,sys\nfrom securesystemslib.formats import encode_canonical\n"
                         "for line in open(sys.argv[1], encoding='utf-8'):\n"
                         "    print(encode_canonical(json.loads(line)).encode('utf-8').hex())\n",
                         (dir / "corpus").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> theirs;
  std::string line;
  for (char c : r.out) {
    if (c == '\n') {
      theirs.push_back(line);
      line.clear();
    } else {
      line.push_back(c);
    }
  }
  ASSERT_EQ(theirs.size(), kCorpus.size());
  for (std::size_t i = 0; i < kCorpus.size(); ++i) {
    auto parsed = parse_json(kCorpus[i], "corpus");
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    auto ours = canonical_json(*parsed);
    ASSERT_TRUE(ours) << ours.error().to_string();
    EXPECT_EQ(to_hex(test::as_bytes(*ours)), theirs[i]) << "document " << i << ": " << *ours;
  }
}

TEST(CanonicalJson, ParserRefusesAmbiguousDocuments) {
  EXPECT_EQ(parse_json(R"({"a":1,"a":2})", "doc").error().code(), Code::BadMetadata);
  EXPECT_EQ(parse_json(R"({"x":{"a":1,"a":1}})", "doc").error().code(), Code::BadMetadata);
  EXPECT_EQ(parse_json(R"({"a":1.5})", "doc").error().code(), Code::BadMetadata);
  EXPECT_EQ(parse_json(R"({"a":1e3})", "doc").error().code(), Code::BadMetadata);
  EXPECT_EQ(parse_json("{\"a\":\"\xff\"}", "doc").error().code(), Code::BadMetadata);
  EXPECT_EQ(parse_json(std::string(70, '[') + std::string(70, ']'), "doc").error().code(),
            Code::BadMetadata);
  EXPECT_EQ(parse_json(R"({"a":1} trailing)", "doc").error().code(), Code::BadMetadata);
  auto big = parse_json(std::string(100, ' ') + "{}", "timestamp.json", 50);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), Code::TooLarge);
  EXPECT_NE(big.error().message().find("timestamp.json"), std::string::npos);
  // Duplicate keys in different objects are fine.
  EXPECT_TRUE(parse_json(R"({"a":{"k":1},"b":{"k":2}})", "doc"));
}

}  // namespace
}  // namespace ratchet::tuf
