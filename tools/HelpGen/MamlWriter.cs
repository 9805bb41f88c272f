using System.Globalization;
using System.Xml.Linq;

namespace HelpGen;

/// <summary>
/// Writes command help in the MAML shape Get-Help reads (the one platyPS's New-ExternalHelp produces):
/// helpItems/command:command with details, description, syntax, parameters, inputTypes, returnValues,
/// alertSet (NOTES), examples and relatedLinks.
/// </summary>
internal static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    public static XDocument Write(IEnumerable<CommandHelp> commands) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(CommandElement)));

    private static XElement CommandElement(CommandHelp c) =>
        new(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", c.Name),
                new XElement(Command + "verb", c.Verb),
                new XElement(Command + "noun", c.Noun),
                Description([c.Synopsis])),
            Description(c.Description),
            new XElement(Command + "syntax",
                c.Syntax.Select(set => new XElement(Command + "syntaxItem",
                    new XElement(Maml + "name", c.Name),
                    set.Parameters.Select(sp => Parameter(c.Parameters.Single(p => p.Name == sp.Name), forSyntax: true))))),
            new XElement(Command + "parameters", c.Parameters.Select(p => Parameter(p, forSyntax: false))),
            new XElement(Command + "inputTypes", c.Inputs.Select(t => TypeElement(Command + "inputType", t))),
            new XElement(Command + "returnValues", c.Outputs.Select(t => TypeElement(Command + "returnValue", t))),
            new XElement(Maml + "alertSet",
                new XElement(Maml + "alert", Paras(c.Notes))),
            new XElement(Command + "examples",
                c.Examples.Select(e => new XElement(Command + "example",
                    new XElement(Maml + "title", $"-------------------------- {e.Title} --------------------------"),
                    new XElement(Dev + "code", e.Code),
                    new XElement(Dev + "remarks", Paras(e.Remarks))))),
            new XElement(Maml + "relatedLinks",
                (c.OnlineVersion is null ? [] : new[] { new LinkHelp("Online Version:", c.OnlineVersion) })
                    .Concat(c.Links)
                    .Select(l => new XElement(Maml + "navigationLink",
                        new XElement(Maml + "linkText", l.Text),
                        new XElement(Maml + "uri", l.Uri)))));

    private static XElement Parameter(ParameterHelp p, bool forSyntax) =>
        new(Command + "parameter",
            new XAttribute("required", p.Required ? "true" : "false"),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", p.Globbing ? "true" : "false"),
            new XAttribute("pipelineInput", p.PipelineInput),
            new XAttribute("position", p.Position?.ToString(CultureInfo.InvariantCulture) ?? "named"),
            new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(p.Description),
            p.AcceptedValues.Count == 0
                ? null
                : new XElement(Command + "parameterValueGroup",
                    p.AcceptedValues.Select(v => new XElement(Command + "parameterValue",
                        new XAttribute("required", "false"), new XAttribute("variableLength", "false"), v))),
            // A switch takes no value: the syntax shows none, the parameter list names its type.
            forSyntax && p.IsSwitch
                ? null
                : new XElement(Command + "parameterValue",
                    new XAttribute("required", p.IsSwitch ? "false" : "true"), new XAttribute("variableLength", "false"), p.Type),
            new XElement(Dev + "type",
                new XElement(Maml + "name", p.Type),
                new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", p.DefaultValue));

    private static XElement TypeElement(XName name, TypeHelp t) =>
        new(name,
            new XElement(Dev + "type",
                new XElement(Maml + "name", t.Name)),
            Description(t.Description));

    private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", Paras(paragraphs));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs)
    {
        var list = paragraphs.ToList();
        return list.Count == 0 ? [new XElement(Maml + "para")] : list.Select(p => new XElement(Maml + "para", p));
    }
}
