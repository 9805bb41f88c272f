using System.Globalization;
using System.Text.RegularExpressions;

namespace HelpGen;

internal sealed record SyntaxParameter(string Name, bool Required, bool Positional, string? ValueType);

internal sealed record SyntaxSet(string Name, bool IsDefault, IReadOnlyList<SyntaxParameter> Parameters, int Line);

internal sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

internal sealed record ParameterHelp(
    string Name,
    IReadOnlyList<string> Description,
    string Type,
    IReadOnlyList<string> Sets,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> AcceptedValues,
    bool Required,
    int? Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing,
    int Line)
{
    public bool IsSwitch => Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase);

    public bool InSet(string set) => Sets.Contains(CommandHelp.AllSets) || Sets.Contains(set);
}

internal sealed record TypeHelp(string Name, IReadOnlyList<string> Description);

internal sealed record LinkHelp(string Text, string Uri);

/// <summary>
/// One cmdlet's help, read from a platyPS schema 2.0.0 markdown file. The reader is strict: every section
/// platyPS writes must be there, in platyPS's order, every parameter needs exactly one yaml block, and the
/// SYNTAX blocks must agree with the yaml (same parameters per set, same required/positional/type).
/// </summary>
internal sealed partial class CommandHelp
{
    public const string AllSets = "(All)";

    private static readonly string[] Sections =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private static readonly string[] YamlKeys =
        ["Type", "Parameter Sets", "Aliases", "Accepted values", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters"];

    private static readonly string[] RequiredFrontMatter = ["external help file", "Module Name", "online version", "schema"];

    public required string Name { get; init; }
    public required string ExternalHelpFile { get; init; }
    public required string ModuleName { get; init; }
    public string? OnlineVersion { get; init; }
    public required string Synopsis { get; init; }
    public required IReadOnlyList<string> Description { get; init; }
    public required IReadOnlyList<SyntaxSet> Syntax { get; init; }
    public required IReadOnlyList<ExampleHelp> Examples { get; init; }
    public required IReadOnlyList<ParameterHelp> Parameters { get; init; }
    public required IReadOnlyList<TypeHelp> Inputs { get; init; }
    public required IReadOnlyList<TypeHelp> Outputs { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
    public required IReadOnlyList<LinkHelp> Links { get; init; }

    public string Verb => Name[..Name.IndexOf('-', StringComparison.Ordinal)];
    public string Noun => Name[(Name.IndexOf('-', StringComparison.Ordinal) + 1)..];

    public static CommandHelp Parse(Markdown.Document doc)
    {
        var file = doc.File;
        var expectedName = Path.GetFileNameWithoutExtension(file);
        var front = doc.FrontMatter ?? throw new HelpGenException(file, 1, "Missing YAML front matter (---, external help file, Module Name, online version, schema: 2.0.0, ---).");
        foreach (var key in RequiredFrontMatter)
        {
            if (!front.ContainsKey(key)) throw new HelpGenException(file, doc.FrontMatterLine, $"Front matter has no '{key}:' line.");
        }
        if (front["schema"] != "2.0.0") throw new HelpGenException(file, doc.FrontMatterLine, $"Front matter says 'schema: {front["schema"]}'; only 2.0.0 is supported.");
        if (!front["external help file"].EndsWith("-Help.xml", StringComparison.Ordinal))
            throw new HelpGenException(file, doc.FrontMatterLine, $"'external help file: {front["external help file"]}' must name a *-Help.xml file.");

        var blocks = doc.Blocks;
        if (blocks.Count == 0 || blocks[0] is not Heading { Level: 1 } title)
            throw new HelpGenException(file, blocks.Count == 0 ? 1 : blocks[0].Line, $"The first block after the front matter must be '# {expectedName}'.");
        if (title.Text != expectedName)
            throw new HelpGenException(file, title.Line, $"The title '# {title.Text}' does not match the file name ('{expectedName}').");
        if (!VerbNounPattern().IsMatch(title.Text))
            throw new HelpGenException(file, title.Line, $"'{title.Text}' is not a Verb-Noun cmdlet name.");

        var sections = SplitSections(file, blocks, title);
        var syntax = ParseSyntax(file, sections["SYNTAX"], title.Text);
        var parameters = ParseParameters(file, sections["PARAMETERS"]);
        CheckSyntaxAgainstParameters(file, syntax, parameters);

        var synopsis = Paragraphs(file, sections["SYNOPSIS"].Blocks, "SYNOPSIS");
        if (synopsis.Count != 1) throw new HelpGenException(file, sections["SYNOPSIS"].Line, "SYNOPSIS must be exactly one paragraph.");
        var description = Paragraphs(file, sections["DESCRIPTION"].Blocks, "DESCRIPTION");
        if (description.Count == 0) throw new HelpGenException(file, sections["DESCRIPTION"].Line, "DESCRIPTION is empty.");

        return new CommandHelp
        {
            Name = title.Text,
            ExternalHelpFile = front["external help file"],
            ModuleName = front["Module Name"],
            OnlineVersion = front["online version"].Length == 0 ? null : front["online version"],
            Synopsis = synopsis[0],
            Description = description,
            Syntax = syntax,
            Examples = ParseExamples(file, sections["EXAMPLES"]),
            Parameters = parameters,
            Inputs = ParseTypes(file, sections["INPUTS"], "INPUTS"),
            Outputs = ParseTypes(file, sections["OUTPUTS"], "OUTPUTS"),
            Notes = Paragraphs(file, sections["NOTES"].Blocks, "NOTES"),
            Links = ParseLinks(file, sections["RELATED LINKS"]),
        };
    }

    private sealed record Section(int Line, IReadOnlyList<Block> Blocks);

    private static Dictionary<string, Section> SplitSections(string file, IReadOnlyList<Block> blocks, Heading title)
    {
        var result = new Dictionary<string, Section>(StringComparer.Ordinal);
        var i = 1;
        foreach (var expected in Sections)
        {
            if (i >= blocks.Count)
                throw new HelpGenException(file, blocks[^1].Line, $"Missing section '## {expected}' (sections must be: {string.Join(", ", Sections)}).");
            if (blocks[i] is not Heading { Level: 2 } heading)
                throw new HelpGenException(file, blocks[i].Line, $"Expected '## {expected}' here.");
            if (heading.Text != expected)
                throw new HelpGenException(file, heading.Line, $"Expected section '## {expected}' but found '## {heading.Text}' (sections must be: {string.Join(", ", Sections)}).");
            var content = new List<Block>();
            i++;
            while (i < blocks.Count && blocks[i] is not Heading { Level: <= 2 })
                content.Add(blocks[i++]);
            result[expected] = new Section(heading.Line, content);
        }
        if (i < blocks.Count)
            throw new HelpGenException(file, blocks[i].Line, $"Unexpected content after '## RELATED LINKS' in {title.Text}.");
        return result;
    }

    /// <summary>Groups a section's blocks under its '###' headings.</summary>
    private static List<(Heading Heading, List<Block> Blocks)> SubSections(string file, Section section, string name)
    {
        var result = new List<(Heading, List<Block>)>();
        foreach (var block in section.Blocks)
        {
            if (block is Heading { Level: 3 } h) result.Add((h, []));
            else if (block is Heading other) throw new HelpGenException(file, other.Line, $"Unexpected heading level {other.Level} in {name}; use '### ...'.");
            else if (result.Count == 0) throw new HelpGenException(file, block.Line, $"Content in {name} must sit under a '### ...' heading.");
            else result[^1].Item2.Add(block);
        }
        return result;
    }

    /// <summary>Prose blocks as help paragraphs: paragraphs joined, list items with their marker, code verbatim.</summary>
    internal static List<string> Paragraphs(string file, IEnumerable<Block> blocks, string where)
    {
        var result = new List<string>();
        foreach (var block in blocks)
        {
            result.Add(block switch
            {
                Paragraph { IsTable: true } p => string.Join('\n', p.Lines),
                Paragraph p => p.Text,
                ListItem li => li.Marker + " " + li.Text,
                Fence f => string.Join('\n', f.Lines),
                Heading h => throw new HelpGenException(file, h.Line, $"Unexpected heading '{h.Text}' in {where}."),
                _ => throw new HelpGenException(file, block.Line, $"Unexpected block in {where}."),
            });
        }
        return result;
    }

    private static List<SyntaxSet> ParseSyntax(string file, Section section, string command)
    {
        var sets = new List<SyntaxSet>();
        if (section.Blocks.Count == 1 && section.Blocks[0] is Fence only)
        {
            sets.Add(new SyntaxSet(AllSets, true, ParseSyntaxLine(file, only, command), only.Line));
            return sets;
        }
        foreach (var (heading, blocks) in SubSections(file, section, "SYNTAX"))
        {
            if (blocks.Count != 1 || blocks[0] is not Fence fence)
                throw new HelpGenException(file, heading.Line, $"Parameter set '### {heading.Text}' must be followed by exactly one ``` block with its syntax.");
            var isDefault = heading.Text.EndsWith(" (Default)", StringComparison.Ordinal);
            var name = isDefault ? heading.Text[..^" (Default)".Length].Trim() : heading.Text;
            if (sets.Any(s => s.Name == name)) throw new HelpGenException(file, heading.Line, $"Parameter set '{name}' is listed twice.");
            sets.Add(new SyntaxSet(name, isDefault, ParseSyntaxLine(file, fence, command), fence.Line));
        }
        if (sets.Count == 0) throw new HelpGenException(file, section.Line, "SYNTAX has no ``` block.");
        if (sets.Count > 1 && sets.Count(s => s.IsDefault) != 1)
            throw new HelpGenException(file, section.Line, "With several parameter sets, exactly one '### Name (Default)' heading must mark the default set.");
        return sets;
    }

    /// <summary>Reads "Verb-Noun [-A] &lt;T&gt; [-B &lt;T&gt;] -C [-D] [&lt;CommonParameters&gt;]" (platyPS may wrap it over several lines).</summary>
    private static List<SyntaxParameter> ParseSyntaxLine(string file, Fence fence, string command)
    {
        var text = string.Join(' ', fence.Lines.Select(l => l.Trim())).Trim();
        if (!text.StartsWith(command + " ", StringComparison.Ordinal) && text != command)
            throw new HelpGenException(file, fence.Line, $"The syntax must start with '{command}'.");
        var result = new List<SyntaxParameter>();
        var position = command.Length;
        var sawCommon = false;
        while (true)
        {
            while (position < text.Length && text[position] == ' ') position++;
            if (position >= text.Length) break;
            if (sawCommon) throw new HelpGenException(file, fence.Line, "[<CommonParameters>] must come last in the syntax.");
            if (text.AsSpan(position).StartsWith("[<CommonParameters>]", StringComparison.Ordinal))
            {
                position += "[<CommonParameters>]".Length;
                sawCommon = true;
                continue;
            }
            var form = SyntaxForms.Select(f => (f.Required, f.Positional, Match: f.Pattern.Match(text, position)))
                .FirstOrDefault(f => f.Match.Success);
            if (form.Match is null)
                throw new HelpGenException(file, fence.Line, $"Cannot read the syntax at '{text[position..]}'. Write parameters as -Name, [-Name], -Name <Type>, [-Name <Type>], [-Name] <Type> or [[-Name] <Type>].");
            position += form.Match.Length;
            var name = form.Match.Groups["name"].Value;
            if (result.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
                throw new HelpGenException(file, fence.Line, $"-{name} appears twice in this syntax.");
            var type = form.Match.Groups["type"].Success ? form.Match.Groups["type"].Value : null;
            result.Add(new SyntaxParameter(name, form.Required, form.Positional, type));
        }
        if (!sawCommon) throw new HelpGenException(file, fence.Line, "The syntax must end with [<CommonParameters>].");
        return result;
    }

    private static List<ParameterHelp> ParseParameters(string file, Section section)
    {
        var result = new List<ParameterHelp>();
        var subsections = SubSections(file, section, "PARAMETERS");
        if (subsections.Count == 0 || subsections[^1].Heading.Text != "CommonParameters")
            throw new HelpGenException(file, section.Line, "PARAMETERS must end with '### CommonParameters'.");
        foreach (var (heading, blocks) in subsections.Take(subsections.Count - 1))
        {
            if (!heading.Text.StartsWith('-') || !ParameterNamePattern().IsMatch(heading.Text[1..]))
                throw new HelpGenException(file, heading.Line, $"'### {heading.Text}' is not a parameter heading ('### -Name'); CommonParameters must come last.");
            var name = heading.Text[1..];
            if (result.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
                throw new HelpGenException(file, heading.Line, $"Parameter -{name} is documented twice.");
            var yamlBlocks = blocks.OfType<Fence>().Where(f => f.Info == "yaml").ToList();
            if (yamlBlocks.Count == 0) throw new HelpGenException(file, heading.Line, $"Parameter -{name} has no ```yaml block.");
            if (yamlBlocks.Count > 1) throw new HelpGenException(file, yamlBlocks[1].Line, $"Parameter -{name} has {yamlBlocks.Count} ```yaml blocks; HelpGen supports one per parameter.");
            var yaml = yamlBlocks[0];
            if (blocks[^1] != yaml) throw new HelpGenException(file, blocks[^1].Line, $"Nothing may follow the ```yaml block of -{name}.");
            var description = Paragraphs(file, blocks.Take(blocks.Count - 1), $"-{name}");
            if (description.Count == 0) throw new HelpGenException(file, heading.Line, $"Parameter -{name} has no description.");
            result.Add(ParseYaml(file, name, description, yaml));
        }
        return result;
    }

    private static ParameterHelp ParseYaml(string file, string name, List<string> description, Fence yaml)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < yaml.Lines.Count; i++)
        {
            var line = yaml.Lines[i];
            var number = yaml.Line + 1 + i;
            if (line.Trim().Length == 0) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new HelpGenException(file, number, $"'{line}' in the yaml block of -{name} is not 'Key: value'.");
            var key = line[..colon].Trim();
            if (!YamlKeys.Contains(key)) throw new HelpGenException(file, number, $"Unknown key '{key}' in the yaml block of -{name} (known: {string.Join(", ", YamlKeys)}).");
            if (!values.TryAdd(key, line[(colon + 1)..].Trim())) throw new HelpGenException(file, number, $"Key '{key}' appears twice in the yaml block of -{name}.");
        }
        foreach (var key in YamlKeys.Where(k => k != "Accepted values"))
        {
            if (!values.ContainsKey(key)) throw new HelpGenException(file, yaml.Line, $"The yaml block of -{name} has no '{key}:' line.");
        }

        var type = values["Type"];
        if (type.Length == 0) throw new HelpGenException(file, yaml.Line, $"-{name}: 'Type:' is empty.");
        var sets = List(values["Parameter Sets"]);
        if (sets.Count == 0) throw new HelpGenException(file, yaml.Line, $"-{name}: 'Parameter Sets:' is empty; write (All) or set names.");
        var position = values["Position"];
        int? positionNumber = null;
        if (position != "Named")
        {
            if (!int.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                throw new HelpGenException(file, yaml.Line, $"-{name}: 'Position: {position}' must be Named or a number.");
            positionNumber = p;
        }
        var pipeline = values["Accept pipeline input"];
        if (!PipelinePattern().IsMatch(pipeline))
            throw new HelpGenException(file, yaml.Line, $"-{name}: 'Accept pipeline input: {pipeline}' must be False, True (ByValue), True (ByPropertyName) or True (ByPropertyName, ByValue).");
        return new ParameterHelp(
            name,
            description,
            type,
            sets,
            List(values["Aliases"]),
            values.TryGetValue("Accepted values", out var accepted) ? List(accepted) : [],
            Bool(file, yaml.Line, name, "Required", values["Required"]),
            positionNumber,
            values["Default value"],
            pipeline,
            Bool(file, yaml.Line, name, "Accept wildcard characters", values["Accept wildcard characters"]),
            yaml.Line);
    }

    private static List<string> List(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static bool Bool(string file, int line, string parameter, string key, string value) => value switch
    {
        "True" => true,
        "False" => false,
        _ => throw new HelpGenException(file, line, $"-{parameter}: '{key}: {value}' must be True or False."),
    };

    /// <summary>The SYNTAX blocks and the yaml must describe the same command.</summary>
    private static void CheckSyntaxAgainstParameters(string file, List<SyntaxSet> syntax, List<ParameterHelp> parameters)
    {
        var setNames = syntax.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            foreach (var set in p.Sets.Where(s => s != AllSets && !setNames.Contains(s)))
                throw new HelpGenException(file, p.Line, $"-{p.Name} names parameter set '{set}', which SYNTAX does not list (sets: {string.Join(", ", setNames)}).");
            if (syntax.Count == 1 && syntax[0].Name == AllSets && !p.Sets.SequenceEqual([AllSets]))
                throw new HelpGenException(file, p.Line, $"-{p.Name}: with a single unnamed syntax block, 'Parameter Sets:' must be (All).");
        }
        foreach (var set in syntax)
        {
            foreach (var sp in set.Parameters)
            {
                var p = parameters.FirstOrDefault(x => x.Name.Equals(sp.Name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new HelpGenException(file, set.Line, $"The syntax of set '{set.Name}' uses -{sp.Name}, which PARAMETERS does not document.");
                if (p.Name != sp.Name) throw new HelpGenException(file, set.Line, $"The syntax writes -{sp.Name} but PARAMETERS documents -{p.Name}; use one spelling.");
                if (!p.InSet(set.Name)) throw new HelpGenException(file, p.Line, $"-{p.Name} appears in the syntax of set '{set.Name}' but its 'Parameter Sets:' does not include it.");
                if (p.Required != sp.Required)
                    throw new HelpGenException(file, set.Line, $"-{p.Name} is {(sp.Required ? "required" : "optional")} in the syntax of set '{set.Name}' but the yaml says 'Required: {p.Required}'.");
                if (p.Position.HasValue != sp.Positional)
                    throw new HelpGenException(file, set.Line, $"-{p.Name} is {(sp.Positional ? "positional" : "named")} in the syntax of set '{set.Name}' but the yaml says 'Position: {(p.Position?.ToString(CultureInfo.InvariantCulture) ?? "Named")}'.");
                if (p.IsSwitch != (sp.ValueType is null))
                    throw new HelpGenException(file, set.Line, $"-{p.Name}: the syntax of set '{set.Name}' {(sp.ValueType is null ? "shows no <Type>" : $"shows <{sp.ValueType}>")} but the yaml says 'Type: {p.Type}'.");
                if (sp.ValueType is not null && !sp.ValueType.Equals(p.Type, StringComparison.OrdinalIgnoreCase))
                    throw new HelpGenException(file, set.Line, $"-{p.Name}: the syntax of set '{set.Name}' shows <{sp.ValueType}> but the yaml says 'Type: {p.Type}'.");
            }
            foreach (var p in parameters.Where(p => p.InSet(set.Name)))
            {
                if (!set.Parameters.Any(sp => sp.Name == p.Name))
                    throw new HelpGenException(file, set.Line, $"-{p.Name} belongs to set '{set.Name}' (Parameter Sets: {string.Join(", ", p.Sets)}) but is missing from its syntax.");
            }
        }
    }

    private static List<ExampleHelp> ParseExamples(string file, Section section)
    {
        var result = new List<ExampleHelp>();
        foreach (var (heading, blocks) in SubSections(file, section, "EXAMPLES"))
        {
            var match = ExampleHeadingPattern().Match(heading.Text);
            if (!match.Success) throw new HelpGenException(file, heading.Line, $"'### {heading.Text}' must read '### Example N: Title'.");
            var number = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            if (number != result.Count + 1) throw new HelpGenException(file, heading.Line, $"Example {number} should be Example {result.Count + 1}.");
            if (blocks.Count == 0 || blocks[0] is not Fence { Info: "powershell" } code)
                throw new HelpGenException(file, heading.Line, $"Example {number} must start with a ```powershell block.");
            if (blocks.Skip(1).OfType<Fence>().FirstOrDefault() is { } extra)
                throw new HelpGenException(file, extra.Line, $"Example {number} has a second code block; put the command and its output in one ```powershell block.");
            var remarks = Paragraphs(file, blocks.Skip(1), $"Example {number}");
            if (remarks.Count == 0) throw new HelpGenException(file, heading.Line, $"Example {number} needs a sentence after its code explaining it.");
            result.Add(new ExampleHelp(heading.Text, string.Join('\n', code.Lines), remarks));
        }
        if (result.Count == 0) throw new HelpGenException(file, section.Line, "EXAMPLES has no '### Example 1: Title'.");
        return result;
    }

    private static List<TypeHelp> ParseTypes(string file, Section section, string name)
    {
        var result = SubSections(file, section, name)
            .Select(s => new TypeHelp(s.Heading.Text, Paragraphs(file, s.Blocks, s.Heading.Text)))
            .ToList();
        if (result.Count == 0) throw new HelpGenException(file, section.Line, $"{name}: list at least one type as '### TypeName' (or '### None').");
        return result;
    }

    private static List<LinkHelp> ParseLinks(string file, Section section)
    {
        var result = new List<LinkHelp>();
        foreach (var block in section.Blocks)
        {
            var match = block is ListItem item ? LinkPattern().Match(item.Text) : null;
            if (match is null || !match.Success)
                throw new HelpGenException(file, block.Line, "RELATED LINKS may only hold list items of the form '- [Text](uri)' or '- [Text]()'.");
            result.Add(new LinkHelp(match.Groups[1].Value, match.Groups[2].Value));
        }
        return result;
    }

    [GeneratedRegex(@"^[A-Z][a-zA-Z]+-[A-Z][A-Za-z0-9]+$")]
    private static partial Regex VerbNounPattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*$")]
    private static partial Regex ParameterNamePattern();

    [GeneratedRegex(@"^(False|True \((ByValue|ByPropertyName|ByPropertyName, ByValue)\))$")]
    private static partial Regex PipelinePattern();

    [GeneratedRegex(@"^Example (\d+)(: \S.*)?$")]
    private static partial Regex ExampleHeadingPattern();

    [GeneratedRegex(@"^\[([^\]]+)\]\(([^)\s]*)\)$")]
    private static partial Regex LinkPattern();

    private const string NamePart = "-(?<name>[A-Za-z][A-Za-z0-9]*)";
    private const string TypePart = @"\s+<(?<type>[^<>\s]+)>";
    private const string End = @"(?=\s|$)";

    /// <summary>The ways a parameter is written in a syntax line, most specific first.</summary>
    private static readonly (Regex Pattern, bool Required, bool Positional)[] SyntaxForms =
    [
        (new Regex(@"\G\[\[" + NamePart + @"\]" + TypePart + @"\]" + End), false, true),  // [[-Name] <T>]
        (new Regex(@"\G\[" + NamePart + @"\]" + TypePart + End), true, true),               // [-Name] <T>
        (new Regex(@"\G\[" + NamePart + TypePart + @"\]" + End), false, false),             // [-Name <T>]
        (new Regex(@"\G\[" + NamePart + @"\]" + End), false, false),                        // [-Switch]
        (new Regex(@"\G" + NamePart + TypePart + End), true, false),                          // -Name <T>
        (new Regex(@"\G" + NamePart + End), true, false),                                     // -Switch
    ];
}
