using System.Text;
using System.Text.RegularExpressions;

namespace GuardedAI;

/// <summary>
/// Why a send failed, as one short line: the messages of the exception and its inner exceptions (distinct, in order),
/// newlines folded, addresses cut to scheme, host and port (a webhook's path holds its token), at most 400 characters.
/// </summary>
internal static partial class AlertFailureReason
{
    private const int MaxLength = 400;

    public static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var ex = exception; ex is not null && parts.Count < 4; ex = ex.InnerException)
        {
            var message = OneLine(ex.Message);
            if (message.Length == 0 || parts.Any(p => p.Contains(message, StringComparison.Ordinal))) continue;
            parts.Add(message);
        }
        var text = new StringBuilder(exception.GetType().Name).Append(": ").AppendJoin(" <- ", parts).ToString();
        text = Address().Replace(text, m => m.Groups["scheme"].Value + m.Groups["host"].Value + (m.Groups["rest"].Length > 0 ? "/…" : ""));
        return text.Length <= MaxLength ? text : text[..(MaxLength - 1)] + "…";
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Trim();

    [GeneratedRegex(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^@/\s?#]*@)?(?<host>[^/\s?#]+)(?<rest>[/?#][^\s]*)?")]
    private static partial Regex Address();
}
