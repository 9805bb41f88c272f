using System.Text;
using System.Xml;
using HelpGen;

// Usage: HelpGen <help-source-folder> <output-folder> [<output-folder> ...]
// Reads <Verb-Noun>.md (platyPS schema 2.0.0) and about_*.md from the source folder; writes one MAML file named
// by the files' "external help file:" and one about_*.help.txt per about topic into every output folder.
// Problems are printed as "file(line): error HG001: message" (MSBuild's format) and the exit code is 1.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: HelpGen <help-source-folder> <output-folder> [<output-folder> ...]");
    return 2;
}

var source = Path.GetFullPath(args[0]);
var outputs = args.Skip(1).Select(Path.GetFullPath).ToList();
if (!Directory.Exists(source))
{
    Console.Error.WriteLine($"{source}: error HG001: The help source folder does not exist.");
    return 1;
}

var errors = new List<string>();
var commands = new List<CommandHelp>();
var abouts = new List<(string Name, string Text)>();
foreach (var file in Directory.EnumerateFiles(source, "*.md").Order(StringComparer.Ordinal))
{
    try
    {
        var doc = Markdown.Parse(file, File.ReadAllText(file));
        if (Path.GetFileName(file).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
            abouts.Add((Path.GetFileNameWithoutExtension(file), AboutTopic.Convert(doc)));
        else
            commands.Add(CommandHelp.Parse(doc));
    }
    catch (HelpGenException e)
    {
        errors.Add(e.ToCanonical());
    }
}

if (errors.Count == 0 && commands.Count == 0) errors.Add($"{source}: error HG001: No cmdlet help (<Verb-Noun>.md) found.");
var helpFiles = commands.Select(c => c.ExternalHelpFile).Distinct(StringComparer.Ordinal).ToList();
if (helpFiles.Count > 1)
{
    foreach (var c in commands.Where(c => c.ExternalHelpFile != helpFiles[0]))
        errors.Add($"{Path.Combine(source, c.Name + ".md")}(2): error HG001: 'external help file: {c.ExternalHelpFile}' differs from '{helpFiles[0]}' in the other files; one module has one MAML file.");
}
if (errors.Count > 0)
{
    foreach (var error in errors) Console.Error.WriteLine(error);
    return 1;
}

var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
var maml = MamlWriter.Write(commands);
foreach (var output in outputs)
{
    Directory.CreateDirectory(output);
    var mamlPath = Path.Combine(output, helpFiles[0]);
    using (var writer = XmlWriter.Create(mamlPath, new XmlWriterSettings { Encoding = utf8, Indent = true, IndentChars = "  ", NewLineChars = "\n" }))
    {
        maml.Save(writer);
    }
    foreach (var (name, text) in abouts)
        File.WriteAllText(Path.Combine(output, name + ".help.txt"), text, utf8);
}
Console.WriteLine($"HelpGen: {commands.Count} cmdlet(s) and {abouts.Count} about topic(s) -> {string.Join(", ", outputs)}");
return 0;
