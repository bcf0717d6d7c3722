using System.Text;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

/// <summary>
/// Source text made fit for a one-line diagnostic message. MSBuild prints only the first line of a message, so a
/// receiver written as a fluent chain over several lines used to cut the message — reason and help link included —
/// after its first line.
/// </summary>
internal static class MessageText
{
    public const int MaxLength = 60;

    /// <summary>
    /// The tokens of <paramref name="node"/> on one line: comments and line breaks dropped, any whitespace between two
    /// tokens collapsed to one space (none before <c>.</c>, <c>)</c>, <c>,</c> or after <c>.</c>, <c>(</c>), then shortened
    /// to <see cref="MaxLength"/> characters.
    /// </summary>
    public static string Describe(SyntaxNode node)
    {
        var text = new StringBuilder();
        SyntaxToken previous = default;
        foreach (var token in node.DescendantTokens())
        {
            if (text.Length > 0 && NeedsSpace(previous, token))
                text.Append(' ');
            text.Append(token.Text);
            previous = token;
            if (text.Length > MaxLength * 2)
                break;
        }
        return Shorten(OneLine(text.ToString()));
    }

    /// <summary>Any text on one line, whitespace runs collapsed: the last line of defence for a message argument.</summary>
    public static string OneLine(string text)
    {
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }
            if (pendingSpace)
                builder.Append(' ');
            pendingSpace = false;
            builder.Append(c);
        }
        return builder.ToString();
    }

    public static string Shorten(string text) => text.Length <= MaxLength ? text : text.Substring(0, MaxLength - 3).TrimEnd() + "...";

    private static bool NeedsSpace(SyntaxToken previous, SyntaxToken next)
    {
        var hadTrivia = previous.HasTrailingTrivia || next.HasLeadingTrivia;
        var previousText = previous.Text;
        var nextText = next.Text;
        if (previousText.Length == 0 || nextText.Length == 0)
            return false;
        // Two words must stay apart (`new Client`, `await x`), whatever the source had between them.
        if (IsWordChar(previousText[previousText.Length - 1]) && IsWordChar(nextText[0]))
            return true;
        if (!hadTrivia)
            return false;
        return nextText is not ("." or "?." or ")" or "]" or "," or ";" or ">") && previousText is not ("." or "?." or "(" or "[" or "<" or "!");
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '@' or '"' or '\'';
}
