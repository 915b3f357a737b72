#include "core/http/error_reply.hpp"

namespace agentguard::core::http {

namespace {

// Appends to a bounded buffer; with a null buffer it only counts (the first pass sizes the body).
struct Writer {
  char* out;
  std::size_t cap;
  std::size_t len = 0;
  bool overflow = false;

  void put(char c) {
    if (out) {
      if (len >= cap) {
        overflow = true;
        return;
      }
      out[len] = c;
    }
    ++len;
  }
  void put(Text t) {
    for (std::size_t i = 0; i < t.size; ++i) put(t[i]);
  }
  void put_number(std::size_t n) {
    char digits[24];
    std::size_t k = 0;
    do {
      digits[k++] = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n);
    while (k) put(digits[--k]);
  }
  void put_xml(Text t) {
    for (std::size_t i = 0; i < t.size; ++i) {
      switch (t[i]) {
        case '<': put(Text("&lt;")); break;
        case '>': put(Text("&gt;")); break;
        case '&': put(Text("&amp;")); break;
        case '"': put(Text("&quot;")); break;
        case '\'': put(Text("&apos;")); break;
        default: put(static_cast<unsigned char>(t[i]) < 0x20 ? ' ' : t[i]);
      }
    }
  }
  void put_json(Text t) {
    for (std::size_t i = 0; i < t.size; ++i) {
      char c = t[i];
      if (c == '"' || c == '\\') {
        put('\\');
        put(c);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        put(' ');
      } else {
        put(c);
      }
    }
  }
  // CBOR text string (major type 3) header.
  void put_cbor_text_header(std::size_t n) {
    if (n < 24) {
      put(static_cast<char>(0x60 + n));
    } else if (n < 256) {
      put(static_cast<char>(0x78));
      put(static_cast<char>(n));
    } else {
      put(static_cast<char>(0x79));
      put(static_cast<char>((n >> 8) & 0xff));
      put(static_cast<char>(n & 0xff));
    }
  }
  void put_cbor_text(Text t) {
    put_cbor_text_header(t.size);
    put(t);
  }
};

void write_sentence(Writer& w, const Classification& c, Text rule_id, Text message) {
  w.put(Text("Blocked by agentguard rule "));
  w.put(rule_id.empty() ? Text("(none)") : rule_id);
  w.put(Text(": "));
  if (message.empty()) {
    w.put(Text(c.service, length_of(c.service)));
    w.put(':');
    w.put(c.operation[0] ? Text(c.operation, length_of(c.operation)) : Text("(unknown operation)"));
    w.put(Text(" is not allowed."));
  } else {
    w.put(message);
  }
  w.put(Text(" The refusal is recorded for a human; ask them to run it."));
}

bool is_s3(const Classification& c) {
  Text s(c.service, length_of(c.service));
  return equals(s, Text("s3")) || equals(s, Text("s3control"));
}

enum class Shape { query_xml, ec2_xml, s3_xml, json, rest_json, cbor, plain };

Shape shape_of(const Classification& c) {
  switch (c.protocol) {
    case Protocol::query: return Shape::query_xml;
    case Protocol::ec2: return Shape::ec2_xml;
    case Protocol::json: return Shape::json;
    case Protocol::rest_json: return Shape::rest_json;
    case Protocol::rest_xml: return is_s3(c) ? Shape::s3_xml : Shape::query_xml;
    case Protocol::rpc_v2_cbor: return Shape::cbor;
    case Protocol::unknown: break;
  }
  return Shape::plain;
}

void write_body(Writer& w, Shape shape, Text sentence) {
  switch (shape) {
    case Shape::query_xml:
      w.put(Text("<ErrorResponse xmlns=\"https://agentguard.invalid/\"><Error><Type>Sender</Type>"
                 "<Code>AccessDenied</Code><Message>"));
      w.put_xml(sentence);
      w.put(Text("</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"));
      break;
    case Shape::ec2_xml:
      w.put(Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>"));
      w.put_xml(sentence);
      w.put(Text("</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>"));
      break;
    case Shape::s3_xml:
      w.put(Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>"));
      w.put_xml(sentence);
      w.put(Text("</Message><RequestId>0000000000000000</RequestId><HostId>agentguard</HostId></Error>"));
      break;
    case Shape::json:
      w.put(Text("{\"__type\":\"AccessDeniedException\",\"message\":\""));
      w.put_json(sentence);
      w.put(Text("\"}"));
      break;
    case Shape::rest_json:
      w.put(Text("{\"message\":\""));
      w.put_json(sentence);
      w.put(Text("\"}"));
      break;
    case Shape::cbor:
      w.put(static_cast<char>(0xa2));  // map of two pairs
      w.put_cbor_text(Text("__type"));
      w.put_cbor_text(Text("AccessDeniedException"));
      w.put_cbor_text(Text("message"));
      w.put_cbor_text(sentence);
      break;
    case Shape::plain:
      w.put(sentence);
      w.put('\n');
      break;
  }
}

}  // namespace

std::size_t error_message_text(const Classification& c, Text rule_id, Text message, char* out, std::size_t cap) {
  Writer w{out, cap};
  write_sentence(w, c, rule_id, message);
  return w.overflow ? 0 : w.len;
}

std::size_t build_error_reply(const Classification& c, Text rule_id, Text message, char* out, std::size_t cap) {
  // The sentence is bounded so the reply always fits a modest buffer.
  char sentence_bytes[1024];
  Writer sw{sentence_bytes, sizeof sentence_bytes};
  write_sentence(sw, c, rule_id, message);
  Text sentence(sentence_bytes, sw.len < sizeof sentence_bytes ? sw.len : sizeof sentence_bytes);
  if (sentence.size > 1000) sentence = sentence.sub(0, 1000);

  Shape shape = shape_of(c);
  Writer counter{nullptr, 0};
  write_body(counter, shape, sentence);

  Writer w{out, cap};
  w.put(shape == Shape::json ? Text("HTTP/1.1 400 Bad Request\r\n") : Text("HTTP/1.1 403 Forbidden\r\n"));
  w.put(Text("Content-Type: "));
  switch (shape) {
    case Shape::query_xml:
    case Shape::ec2_xml: w.put(Text("text/xml")); break;
    case Shape::s3_xml: w.put(Text("application/xml")); break;
    case Shape::json: w.put(c.json_1_0 ? Text("application/x-amz-json-1.0") : Text("application/x-amz-json-1.1")); break;
    case Shape::rest_json: w.put(Text("application/json")); break;
    case Shape::cbor: w.put(Text("application/cbor")); break;
    case Shape::plain: w.put(Text("text/plain; charset=utf-8")); break;
  }
  w.put(Text("\r\n"));
  if (shape == Shape::rest_json) w.put(Text("x-amzn-ErrorType: AccessDeniedException\r\n"));
  if (shape == Shape::cbor) w.put(Text("Smithy-Protocol: rpc-v2-cbor\r\n"));
  w.put(Text("x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n"));
  w.put(Text("x-agentguard: blocked\r\n"));
  w.put(Text("Content-Length: "));
  w.put_number(counter.len);
  w.put(Text("\r\nConnection: close\r\n\r\n"));
  write_body(w, shape, sentence);
  return w.overflow ? 0 : w.len;
}

}  // namespace agentguard::core::http
