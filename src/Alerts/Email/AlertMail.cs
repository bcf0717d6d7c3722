using System.Net;
using System.Text;
using MimeKit;

namespace GuardedAI.Alerts;

/// <summary>
/// The e-mail for an alert: a subject naming the level and budget, and a plain-text and an HTML body (multipart/
/// alternative) that say which budget and limit, used/limit and percent, when the window resets, the projected
/// exhaustion time and what to do. Every value in the HTML is encoded: a budget name cannot inject markup.
/// </summary>
internal static class AlertMail
{
    public static MimeMessage Build(BudgetAlert alert, SmtpChannelOptions options)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From));
        foreach (var to in options.To) message.To.Add(MailboxAddress.Parse(to));
        message.Subject = Subject(alert);
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId();
        message.Date = alert.Timestamp;
        var body = new BodyBuilder { TextBody = AlertText.PlainText(alert), HtmlBody = Html(alert) };
        message.Body = body.ToMessageBody();
        return message;
    }

    public static string Subject(BudgetAlert alert)
    {
        var subject = $"[GuardedAI] {alert.Level}: {AlertText.Title(alert)}";
        if (alert.Dimension is { } dimension && alert.Window is { } window && alert.Level != AlertLevel.SpendAnomaly)
            subject += string.Create(System.Globalization.CultureInfo.InvariantCulture, $" — {window.Describe()} {dimension.Describe()} at {alert.Percent:0.#}%");
        return AlertText.Cut(subject.ReplaceLineEndings(" "), 200);
    }

    private static string Html(BudgetAlert alert)
    {
        var color = alert.Severity switch { AlertSeverity.Critical => "#d93025", AlertSeverity.Warning => "#b06000", _ => "#1e8e3e" };
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">");
        html.Append("<h2 style=\"color:").Append(color).Append("\">").Append(E(AlertText.Title(alert))).Append("</h2>");
        html.Append("<p>").Append(E(alert.Message)).Append("</p>");
        html.Append("<table cellpadding=\"4\" style=\"border-collapse:collapse\">");
        foreach (var (name, value) in AlertText.Facts(alert))
        {
            html.Append("<tr><th align=\"left\">").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        }
        html.Append("</table>");
        if (alert.Items.Count > 0)
        {
            html.Append("<ul>");
            foreach (var item in alert.Items) html.Append("<li>").Append(E(item.Message)).Append("</li>");
            html.Append("</ul>");
        }
        if (alert.Advice is { } advice) html.Append("<p><strong>What to do:</strong> ").Append(E(advice)).Append("</p>");
        html.Append("<p style=\"color:#666;font-size:small\">Alert id ").Append(E(alert.Id)).Append("</p></body></html>");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
