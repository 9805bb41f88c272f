using System.Text;

namespace HelpGen;

/// <summary>
/// Turns an about topic in platyPS's about-markdown layout ("# Title", "## about_Name", then "# SHORT DESCRIPTION",
/// "# LONG DESCRIPTION", ...) into the plain-text layout Get-Help shows: section names in capitals at the left
/// margin, text indented four spaces and wrapped at 80 columns, code indented eight.
/// </summary>
internal static class AboutTopic
{
    public const int Width = 80;
    private const string Indent = "    ";
    private const string CodeIndent = "        ";

    public static string Convert(Markdown.Document doc)
    {
        var file = doc.File;
        var name = Path.GetFileNameWithoutExtension(file);
        var blocks = doc.Blocks;
        if (blocks.Count < 2 || blocks[0] is not Heading { Level: 1 } || blocks[1] is not Heading { Level: 2 } lookup)
            throw new HelpGenException(file, blocks.Count == 0 ? 1 : blocks[0].Line, $"An about topic starts with '# Title' and then '## {name}'.");
        if (lookup.Text != name)
            throw new HelpGenException(file, lookup.Line, $"The second heading '## {lookup.Text}' must be the topic name '{name}' (the file name).");
        if (blocks.Count < 4 || blocks[2] is not Heading { Level: 1, Text: "SHORT DESCRIPTION" } shortHeading)
            throw new HelpGenException(file, blocks.Count > 2 ? blocks[2].Line : lookup.Line, "The first section must be '# SHORT DESCRIPTION'.");
        // Get-Help takes the fifth line of the text file as the topic's synopsis: it must be the whole short description.
        if (blocks[3] is not Paragraph synopsis || (blocks.Count > 4 && blocks[4] is not Heading { Level: 1 }))
            throw new HelpGenException(file, shortHeading.Line, "SHORT DESCRIPTION must be exactly one paragraph.");
        if (Indent.Length + synopsis.Text.Length > Width)
            throw new HelpGenException(file, synopsis.Line, $"The short description is {synopsis.Text.Length} characters; keep it to {Width - Indent.Length} so it fits on one line (Get-Help shows that line as the synopsis).");
        if (!blocks.Any(b => b is Heading { Level: 1, Text: "LONG DESCRIPTION" }))
            throw new HelpGenException(file, shortHeading.Line, "The topic has no '# LONG DESCRIPTION' section.");

        var text = new StringBuilder();
        text.Append("TOPIC\n").Append(Indent).Append(name).Append('\n');
        Block previous = lookup;
        foreach (var block in blocks.Skip(2))
        {
            // A blank line between blocks, but not right under a heading, nor between the items of one list.
            if (block is Heading || (previous is not Heading && !(previous is ListItem && block is ListItem))) text.Append('\n');
            switch (block)
            {
                case Heading { Level: 1 } h:
                    text.Append(h.Text.ToUpperInvariant()).Append('\n');
                    break;
                case Heading { Level: 2 } h:
                    text.Append(h.Text).Append('\n');
                    break;
                case Heading h:
                    text.Append("  ").Append(h.Text).Append('\n');
                    break;
                case Paragraph { IsTable: true } p:
                    foreach (var line in p.Lines) text.Append(Indent).Append(line.Trim()).Append('\n');
                    break;
                case Paragraph p:
                    Wrap(text, p.Text, Indent, Indent);
                    break;
                case ListItem item:
                    var marker = Indent + item.Marker + " ";
                    Wrap(text, item.Text, marker, new string(' ', marker.Length));
                    break;
                case Fence f:
                    foreach (var line in f.Lines) text.Append(line.Length == 0 ? "" : CodeIndent + line).Append('\n');
                    break;
            }
            previous = block;
        }
        return text.ToString();
    }

    /// <summary>Word-wraps <paramref name="value"/> at <see cref="Width"/> columns.</summary>
    private static void Wrap(StringBuilder text, string value, string firstIndent, string nextIndent)
    {
        var line = new StringBuilder(firstIndent);
        var empty = true;
        foreach (var word in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                text.Append(line).Append('\n');
                line.Clear().Append(nextIndent);
                empty = true;
            }
            if (!empty) line.Append(' ');
            line.Append(word);
            empty = false;
        }
        text.Append(line).Append('\n');
    }
}
