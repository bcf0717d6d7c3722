// One grammar for [LlmPrompt] templates, compiled into both the generator (src/Generator) and the analyzers
// (src/Analyzers) as a linked file, so that the generator emits nothing exactly where GAI006 says why.
// Keep it Roslyn-free and netstandard2.0-compatible: it is source in two assemblies, not a shared library.
using System.Collections.Generic;
using System.Text;

namespace GuardedAI.Templates;

/// <summary>What a <see cref="TemplatePart"/> is.</summary>
internal enum TemplatePartKind
{
    /// <summary>Literal text, with <c>{{</c> and <c>}}</c> already turned into single braces.</summary>
    Text,

    /// <summary>A closed <c>{name}</c>; <see cref="TemplatePart.Text"/> is the name.</summary>
    Placeholder,

    /// <summary>A <c>{</c> with no <c>}</c> before the next <c>{</c> or the end: the template is invalid.</summary>
    Unclosed,
}

/// <summary>A piece of a template and where it is in the template text.</summary>
internal readonly struct TemplatePart
{
    public TemplatePart(TemplatePartKind kind, string text, int start, int length)
    {
        Kind = kind;
        Text = text;
        Start = start;
        Length = length;
    }

    public TemplatePartKind Kind { get; }

    /// <summary>The literal text (braces unescaped, adjacent text merged), or the placeholder's name.</summary>
    public string Text { get; }

    /// <summary>Offset in the template of the part's first character (the <c>{</c> of a placeholder).</summary>
    public int Start { get; }

    /// <summary>Length in the template text: braces included for a placeholder, up to the next <c>{</c> or the end for an unclosed one.</summary>
    public int Length { get; }

    public bool IsPlaceholder => Kind == TemplatePartKind.Placeholder;
}

/// <summary>
/// The grammar of <c>[LlmPrompt]</c> templates (the user message and the <c>System</c> message).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>{{</c> and <c>}}</c> are a literal <c>{</c> and <c>}</c>; a lone <c>}</c> is literal text.</item>
/// <item><c>{name}</c> is a placeholder: everything between the braces is the parameter name (case-sensitive,
/// no format or alignment; <c>{}</c> is a placeholder with an empty name, which no parameter has).</item>
/// <item>A <c>{</c> with no closing <c>}</c> before the next <c>{</c> or the end is an error
/// (<see cref="TemplatePartKind.Unclosed"/>); parsing goes on after it so that every problem can be reported.</item>
/// </list>
/// </remarks>
internal static class PromptTemplate
{
    /// <summary>Splits <paramref name="template"/> into text, placeholders and unclosed braces, in order.</summary>
    public static List<TemplatePart> Parse(string template)
    {
        var parts = new List<TemplatePart>();
        var text = new StringBuilder();
        int textStart = 0;
        int i = 0;
        while (i < template.Length)
        {
            char c = template[i];
            bool doubled = i + 1 < template.Length && template[i + 1] == c;
            if (c == '}' || (c == '{' && doubled))
            {
                if (text.Length == 0) textStart = i;
                text.Append(c);
                i += doubled ? 2 : 1;
                continue;
            }

            if (c != '{')
            {
                if (text.Length == 0) textStart = i;
                text.Append(c);
                i++;
                continue;
            }

            FlushText(parts, text, textStart, i);
            int close = template.IndexOf('}', i + 1);
            int nextOpen = template.IndexOf('{', i + 1);
            if (close < 0 || (nextOpen >= 0 && nextOpen < close))
            {
                int end = nextOpen >= 0 ? nextOpen : template.Length;
                parts.Add(new TemplatePart(TemplatePartKind.Unclosed, template.Substring(i + 1, end - i - 1), i, end - i));
                i++;
                continue;
            }

            parts.Add(new TemplatePart(TemplatePartKind.Placeholder, template.Substring(i + 1, close - i - 1), i, close - i + 1));
            i = close + 1;
        }

        FlushText(parts, text, textStart, template.Length);
        return parts;
    }

    /// <summary>True when every <c>{</c> is closed (placeholder names are checked against parameters elsewhere).</summary>
    public static bool IsWellFormed(List<TemplatePart> parts)
    {
        foreach (TemplatePart part in parts)
        {
            if (part.Kind == TemplatePartKind.Unclosed) return false;
        }

        return true;
    }

    private static void FlushText(List<TemplatePart> parts, StringBuilder text, int start, int end)
    {
        if (text.Length == 0) return;
        parts.Add(new TemplatePart(TemplatePartKind.Text, text.ToString(), start, end - start));
        text.Clear();
    }
}
