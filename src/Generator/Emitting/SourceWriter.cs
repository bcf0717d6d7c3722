using System.Text;

namespace GuardedAI.Generator.Emitting;

/// <summary>A minimal indenting writer: four spaces per level, '\n' line endings on every machine.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void Indent() => _indent++;

    public void Unindent() => _indent--;

    public void Line()
    {
        _builder.Append('\n');
    }

    public void Line(string text)
    {
        _builder.Append(' ', _indent * 4).Append(text).Append('\n');
    }

    public void Open(string text)
    {
        Line(text);
        Line("{");
        Indent();
    }

    public void Close(string suffix = "")
    {
        Unindent();
        Line("}" + suffix);
    }

    public override string ToString() => _builder.ToString();
}
