using System.Collections.Generic;
using System.Text;

namespace GuardedAI.Generator.Parsing;

/// <summary>
/// The grammar of an <c>[LlmPrompt]</c> template, free of Roslyn types so that the analyzer that reports GAI006
/// can share it (link this file) and both agree on what a placeholder is.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>{{</c> and <c>}}</c> are a literal <c>{</c> and <c>}</c>.</item>
/// <item><c>{name}</c> is a placeholder; everything between the braces is the parameter name (case-sensitive,
/// no format or alignment).</item>
/// <item>A <c>{</c> with no closing <c>}</c>, and a lone <c>}</c>, are literal text.</item>
/// </list>
/// </remarks>
internal static class PromptTemplate
{
    /// <summary>A piece of a template.</summary>
    /// <param name="Text">Literal text with braces unescaped, or the placeholder's name.</param>
    /// <param name="IsPlaceholder">True for a placeholder.</param>
    /// <param name="Start">Index of the piece in the template (of the <c>{</c> for a placeholder).</param>
    internal readonly struct Part
    {
        public Part(string text, bool isPlaceholder, int start)
        {
            Text = text;
            IsPlaceholder = isPlaceholder;
            Start = start;
        }

        public string Text { get; }

        public bool IsPlaceholder { get; }

        public int Start { get; }
    }

    /// <summary>Splits <paramref name="template"/> into literal text and placeholders, adjacent text merged.</summary>
    public static List<Part> Parse(string template)
    {
        var parts = new List<Part>();
        var text = new StringBuilder();
        int textStart = 0;
        int i = 0;
        while (i < template.Length)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                text.Append('{');
                i += 2;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                text.Append('}');
                i += 2;
            }
            else if (c == '{' && template.IndexOf('}', i + 1) is int close && close > i)
            {
                if (text.Length > 0)
                {
                    parts.Add(new Part(text.ToString(), isPlaceholder: false, textStart));
                    text.Clear();
                }
                parts.Add(new Part(template.Substring(i + 1, close - i - 1), isPlaceholder: true, i));
                i = close + 1;
                textStart = i;
            }
            else
            {
                text.Append(c);
                i++;
            }
        }

        if (text.Length > 0) parts.Add(new Part(text.ToString(), isPlaceholder: false, textStart));
        return parts;
    }
}
