using System.Text.RegularExpressions;

namespace HelpGen;

/// <summary>A block of a markdown file; <see cref="Line"/> is 1-based, for error messages.</summary>
internal abstract record Block(int Line);

internal sealed record Heading(int Line, int Level, string Text) : Block(Line);

/// <summary>Consecutive non-blank lines. Markdown joins them into one paragraph.</summary>
internal sealed record Paragraph(int Line, IReadOnlyList<string> Lines) : Block(Line)
{
    public string Text => string.Join(' ', Lines.Select(l => l.Trim()));

    /// <summary>A pipe table: kept line by line rather than joined.</summary>
    public bool IsTable => Lines.All(l => l.TrimStart().StartsWith('|'));
}

/// <summary>One list item ("- text", "* text" or "1. text") with its continuation lines.</summary>
internal sealed record ListItem(int Line, string Marker, IReadOnlyList<string> Lines) : Block(Line)
{
    public string Text => string.Join(' ', Lines.Select(l => l.Trim()));
}

/// <summary>A fenced code block; <see cref="Info"/> is the word after the opening fence ("powershell", "yaml", or empty).</summary>
internal sealed record Fence(int Line, string Info, IReadOnlyList<string> Lines) : Block(Line);

/// <summary>The small subset of markdown the help files use: YAML front matter, ATX headings, paragraphs, list items, code fences.</summary>
internal static partial class Markdown
{
    public sealed record Document(string File, IReadOnlyDictionary<string, string>? FrontMatter, int FrontMatterLine, IReadOnlyList<Block> Blocks);

    public static Document Parse(string file, string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var index = 0;
        Dictionary<string, string>? frontMatter = null;
        var frontMatterLine = 0;
        if (lines.Length > 0 && lines[0].TrimEnd() == "---")
        {
            frontMatterLine = 1;
            frontMatter = new Dictionary<string, string>(StringComparer.Ordinal);
            index = 1;
            while (true)
            {
                if (index >= lines.Length) throw new HelpGenException(file, 1, "The YAML front matter opened on line 1 is never closed with '---'.");
                var line = lines[index];
                index++;
                if (line.TrimEnd() == "---") break;
                if (line.Trim().Length == 0) continue;
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0) throw new HelpGenException(file, index, $"Front matter line '{line}' is not 'key: value'.");
                var key = line[..colon].Trim();
                if (!frontMatter.TryAdd(key, line[(colon + 1)..].Trim()))
                    throw new HelpGenException(file, index, $"Front matter key '{key}' appears twice.");
            }
        }

        var blocks = new List<Block>();
        while (index < lines.Length)
        {
            var line = lines[index];
            var number = index + 1;
            if (line.Trim().Length == 0)
            {
                index++;
                continue;
            }
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                var info = line[3..].Trim();
                var body = new List<string>();
                index++;
                while (true)
                {
                    if (index >= lines.Length) throw new HelpGenException(file, number, "This code fence is never closed with ```.");
                    if (lines[index].TrimEnd() == "```") break;
                    body.Add(lines[index].TrimEnd());
                    index++;
                }
                index++;
                blocks.Add(new Fence(number, info, body));
                continue;
            }
            var heading = HeadingPattern().Match(line);
            if (heading.Success)
            {
                blocks.Add(new Heading(number, heading.Groups[1].Length, heading.Groups[2].Value.Trim()));
                index++;
                continue;
            }
            var item = ListItemPattern().Match(line);
            if (item.Success)
            {
                var itemLines = new List<string> { item.Groups[2].Value };
                index++;
                while (index < lines.Length && IsContinuation(lines[index])) itemLines.Add(lines[index++]);
                blocks.Add(new ListItem(number, item.Groups[1].Value, itemLines));
                continue;
            }
            var paragraph = new List<string> { line.TrimEnd() };
            index++;
            while (index < lines.Length && IsContinuation(lines[index])) paragraph.Add(lines[index++].TrimEnd());
            blocks.Add(new Paragraph(number, paragraph));
        }
        return new Document(file, frontMatter, frontMatterLine, blocks);
    }

    private static bool IsContinuation(string line) =>
        line.Trim().Length > 0 && !line.StartsWith("```", StringComparison.Ordinal) &&
        !HeadingPattern().IsMatch(line) && !ListItemPattern().IsMatch(line);

    [GeneratedRegex(@"^(#{1,6})\s+(\S.*)$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^ {0,3}([-*]|\d+\.)\s+(\S.*)$")]
    private static partial Regex ListItemPattern();
}
