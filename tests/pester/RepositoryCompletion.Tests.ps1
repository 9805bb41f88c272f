# -Name and -Version complete from the backups in the repository (a deleted instance can be restored by completion).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:Repo = New-TestDirectory

    # A repository as the directory backend lays it out; listing reads only the manifests.
    function Add-Backup([string] $Kind, [string] $Project, [string] $Name, [string] $Version, [string] $Pool = 'default') {
        $folder = if ($Kind -eq 'instance') { "instances/$Project/$Name/$Version" } else { "volumes/$Project/$Pool/$Name/$Version" }
        $path = Join-Path $script:Repo $folder
        New-Item -ItemType Directory -Path $path -Force | Out-Null
        @{ kind = $Kind; project = $Project; pool = $Pool; name = $Name; options = @{ detected_compression = 'gzip' }
           server = @{ version = '6.0.4' }; files = @(@{ name = 'export.tar.gz'; size = 1; sha256 = ('0' * 64) }) } |
            ConvertTo-Json -Depth 5 | Set-Content -LiteralPath (Join-Path $path 'manifest.json')
    }
    Add-Backup instance default gone 20260101T000000Z
    Add-Backup instance default gone 20260301T000000Z
    Add-Backup instance default web 20260201T000000Z
    Add-Backup instance prod db 20260201T000000Z
    Add-Backup volume default data 20260201T000000Z
    Add-Backup volume default data 20260202T000000Z -Pool fast

    function Complete([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

AfterAll { Remove-Item -Recurse -Force $script:Repo -ErrorAction SilentlyContinue }

Describe 'Completion from the repository' {
    It 'offers the backed-up instances of the default project to Restore-IncusInstance -Name' {
        Complete "Restore-IncusInstance -Target '$script:Repo' -Name " | Should -Be @('gone', 'web')
        Complete "Restore-IncusInstance -Target '$script:Repo' -Name g" | Should -Be @('gone')
    }

    It 'follows -Project' {
        Complete "Restore-IncusInstance -Target '$script:Repo' -Project prod -Name " | Should -Be @('db')
    }

    It 'offers volumes as pool/name, or the name alone once -Pool is bound' {
        Complete "Restore-IncusVolume -Target '$script:Repo' -Name " | Should -Be @('default/data', 'fast/data')
        Complete "Restore-IncusVolume -Target '$script:Repo' -Pool fast -Name " | Should -Be @('data')
    }

    It 'offers the versions of the named backup, newest first' {
        Complete "Restore-IncusInstance -Target '$script:Repo' -Name gone -Version " | Should -Be @('20260301T000000Z', '20260101T000000Z')
    }

    It 'offers every kind and project to Get-IncusBackup, or the -Kind asked for' {
        Complete "Get-IncusBackup -Target '$script:Repo' -Name " | Should -Be @('data', 'db', 'gone', 'web')
        Complete "Get-IncusBackup -Target '$script:Repo' -Kind Volume -Name " | Should -Be @('default/data', 'fast/data')
    }

    It 'uses $env:INCUS_BACKUP_TARGET when -Target is not on the line' {
        $env:INCUS_BACKUP_TARGET = $script:Repo
        try { Complete 'Restore-IncusInstance -Name w' | Should -Be @('web') }
        finally { Remove-Item Env:INCUS_BACKUP_TARGET }
    }

    It 'completes nothing, quietly, when the repository cannot be read' {
        Complete "Restore-IncusInstance -Target '/nonexistent/repo' -Name " | Should -BeNullOrEmpty
    }
}
