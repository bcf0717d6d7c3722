using System.Collections.Generic;

namespace GuardedAI.Analyzers;

/// <summary>One <c>{name}</c> in a prompt template: its name and its offset in the template text.</summary>
internal readonly struct Placeholder
{
    public Placeholder(string name, int start, int length, bool isClosed)
    {
        Name = name;
        Start = start;
        Length = length;
        IsClosed = isClosed;
    }

    public string Name { get; }
    public int Start { get; }
    public int Length { get; }
    public bool IsClosed { get; }
}

/// <summary>
/// Parses <c>[LlmPrompt]</c> templates the way the generator fills them: <c>{name}</c> is a placeholder, <c>{{</c> and
/// <c>}}</c> are literal braces, a lone <c>}</c> is literal text, and a <c>{</c> with no closing brace is an error.
/// </summary>
internal static class PromptTemplate
{
    public static List<Placeholder> Parse(string template)
    {
        var placeholders = new List<Placeholder>();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                i++;
                continue;
            }
            if (c != '{')
                continue;
            if (i + 1 < template.Length && template[i + 1] == '{')
            {
                i++;
                continue;
            }

            var close = template.IndexOf('}', i + 1);
            var nextOpen = template.IndexOf('{', i + 1);
            if (close < 0 || (nextOpen >= 0 && nextOpen < close))
            {
                var end = nextOpen >= 0 ? nextOpen : template.Length;
                placeholders.Add(new Placeholder(template.Substring(i + 1, end - i - 1), i, end - i, isClosed: false));
                continue;
            }

            placeholders.Add(new Placeholder(template.Substring(i + 1, close - i - 1), i, close - i + 1, isClosed: true));
            i = close;
        }
        return placeholders;
    }
}
