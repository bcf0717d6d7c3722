using System.Collections.Generic;
using System.Text;

namespace GuardedAI.Generator.Parsing;

/// <summary>
/// The grammar of <c>[LlmPrompt]</c> templates (the user message and the <c>System</c> message), the same one the
/// analyzer that reports GAI006 uses, so that the generator emits nothing exactly where GAI006 explains why.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>{{</c> and <c>}}</c> are a literal <c>{</c> and <c>}</c>; a lone <c>}</c> is literal text.</item>
/// <item><c>{name}</c> is a placeholder: everything between the braces is the parameter name (case-sensitive,
/// no format or alignment).</item>
/// <item>A <c>{</c> with no closing <c>}</c> before the next <c>{</c> or the end is an error.</item>
/// </list>
/// </remarks>
internal static class PromptTemplate
{
    /// <summary>A piece of a template: literal text (braces unescaped, adjacent text merged) or a placeholder's name.</summary>
    internal readonly struct Part
    {
        public Part(string text, bool isPlaceholder)
        {
            Text = text;
            IsPlaceholder = isPlaceholder;
        }

        public string Text { get; }

        public bool IsPlaceholder { get; }
    }

    /// <summary>Splits <paramref name="template"/> into parts; null when a <c>{</c> is never closed.</summary>
    public static List<Part>? Parse(string template)
    {
        var parts = new List<Part>();
        var text = new StringBuilder();
        int i = 0;
        while (i < template.Length)
        {
            char c = template[i];
            bool doubled = i + 1 < template.Length && template[i + 1] == c;
            if (c == '}' || (c == '{' && doubled))
            {
                text.Append(c);
                i += doubled ? 2 : 1;
            }
            else if (c == '{')
            {
                int close = template.IndexOf('}', i + 1);
                int nextOpen = template.IndexOf('{', i + 1);
                if (close < 0 || (nextOpen >= 0 && nextOpen < close)) return null;

                if (text.Length > 0)
                {
                    parts.Add(new Part(text.ToString(), isPlaceholder: false));
                    text.Clear();
                }

                parts.Add(new Part(template.Substring(i + 1, close - i - 1), isPlaceholder: true));
                i = close + 1;
            }
            else
            {
                text.Append(c);
                i++;
            }
        }

        if (text.Length > 0) parts.Add(new Part(text.ToString(), isPlaceholder: false));
        return parts;
    }
}
