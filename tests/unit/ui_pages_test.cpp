// The approval page renders agent-controlled text (argv, cwd, messages, resources) as text: every
// `<`, `>`, `&` and quote escaped, so a directory or argument cannot become markup or a script.
#include <gtest/gtest.h>

#include "cli/ui_pages.hpp"

namespace agentguard::cli::ui {
namespace {

TEST(UiPages, HtmlEscapeCoversTextAndAttributes) {
  EXPECT_EQ(html_escape("<a href=\"x\" onclick='y'>&</a>"), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
}

TEST(UiPages, HostileArgvCwdAndMessageStayText) {
  approvals::Request r;
  r.id = "ev_1";
  r.argv = {"terraform", "apply", "<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>"};
  r.cwd = "/srv/<!here>/a&b";
  r.message = "<b>approve me</b>";
  r.resources = {"delete aws_db_instance.<i>main</i>", "delete terraform_data.web"};
  r.stateful = {"delete aws_db_instance.<i>main</i>"};
  r.expires_unix = 4102444800;
  const std::string html = render_request_card(r, "tok\"en");
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>approve"), std::string::npos);
  EXPECT_EQ(html.find("<i>main"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("/srv/&lt;!here&gt;/a&amp;b"), std::string::npos);
  EXPECT_NE(html.find("value=\"tok&quot;en\""), std::string::npos);
  // The stateful deletion is marked, the other one is not.
  EXPECT_NE(html.find("<li class=\"stateful destroys\">delete aws_db_instance.&lt;i&gt;main&lt;/i&gt; <strong>stateful"),
            std::string::npos);
  EXPECT_NE(html.find("<li class=\"destroys\">delete terraform_data.web</li>"), std::string::npos);
}

}  // namespace
}  // namespace agentguard::cli::ui
