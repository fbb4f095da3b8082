"""Pools the scenario draws its components from: movements, campaigns, events, accounts.

Each entry is plain data. A scenario picks entries (and, inside each entry, a subset
of hashtag variants, a target and a label form) with its seeded generator, so two
seeds give two different stories. Texts are written for the 140-character era:
slot values are short and every template stays well under the limit.

Slot conventions used by the templates of :mod:`pipeline.simulate.text`:
``issue`` values start with ``la`` or ``l'`` so that ``contre {issue}``, ``Non à
{issue}`` and ``de {issue}`` read correctly; ``{Target}`` (capitalised slot name) is
the same value with an upper-case first letter.
"""

from __future__ import annotations

__all__ = [
    "CAMPAIGNS",
    "EVENTS",
    "INSTITUTIONS",
    "MEDIA",
    "MOVEMENTS",
    "POLICIES",
    "TOPICS",
]

#: Grassroots opposition movements. ``tags`` lists variants as written; the first is
#: the canonical one and is always kept. ``targets`` are (truth label, aliases used
#: in text); aliases starting with ``@`` are mentions of accounts in ``INSTITUTIONS``.
MOVEMENTS: tuple[dict, ...] = (
    {
        "slug": "pigeons",
        "lang": "fr",
        "weight": 3.0,
        "name": "pigeons",
        "tags": (
            "Pigeons",
            "geonpi",
            "pigeons",
            "LesPigeons",
            "PLF2013",
            "Geonpi",
            "lespigeons",
            "GEONPI",
            "pigeon",
            "DéfenseDesPigeons",
        ),
        "labels": ("Les pigeons contre {target}", "Révolte des pigeons", "Mouvement #{tag}"),
        "targets": (
            (
                "le projet de loi de finances 2013",
                ("le PLF 2013", "le projet de loi de finances", "le budget 2013", "Bercy"),
            ),
            (
                "Pierre Moscovici",
                ("Moscovici", "@pierremoscovici", "le ministre de l'Économie", "Bercy"),
            ),
            ("le gouvernement", ("le gouvernement", "@gouvernementFR", "Hollande", "Ayrault")),
        ),
        "group": (
            "entrepreneurs",
            "créateurs d'entreprise",
            "patrons de PME",
            "chefs d'entreprise",
            "fondateurs de start-up",
        ),
        "group_sg": ("entrepreneur", "créateur d'entreprise", "patron de PME", "fondateur"),
        "issue": (
            "la taxation des plus-values à 60%",
            "la taxe sur les cessions d'entreprise",
            "la fiscalité qui tue l'entrepreneuriat",
            "l'alignement du capital sur le travail",
            "la taxation des créateurs",
        ),
        "measure": (
            "la taxation des plus-values de cession",
            "l'alignement de la fiscalité du capital sur le travail",
            "le PLF 2013",
        ),
        "slogan": (
            "On n'est pas des pigeons !",
            "Les pigeons ne se laisseront pas plumer.",
            "Arrêtez de nous plumer !",
            "Les pigeons s'envolent.",
            "Entreprendre n'est pas un crime.",
        ),
        "offtopic": (
            "Des vrais pigeons sur mon balcon ce matin",
            "Les pigeons de la gare me regardent bizarrement",
            "Mon chat chasse les pigeons depuis une heure",
        ),
        "urls": (
            "http://www.facebook.com/DefensePatrons",
            "http://www.defense-des-pigeons.fr/manifeste",
            "http://www.lesechos.fr/entreprises/plf2013-pigeons",
        ),
    },
    {
        "slug": "poussins",
        "lang": "fr",
        "weight": 1.5,
        "name": "poussins",
        "tags": (
            "Poussins",
            "poussins",
            "sinpous",
            "LesPoussins",
            "autoentrepreneur",
            "AutoEntrepreneurs",
            "Poussin",
            "auto_entrepreneurs",
        ),
        "labels": ("Les poussins contre {target}", "Fronde des auto-entrepreneurs"),
        "targets": (
            (
                "la réforme du régime d'auto-entrepreneur",
                ("la réforme Pinel", "le projet Pinel", "Bercy", "le gouvernement"),
            ),
            ("Sylvia Pinel", ("Sylvia Pinel", "@SylviaPinel", "la ministre de l'Artisanat")),
        ),
        "group": ("auto-entrepreneurs", "micro-entrepreneurs", "indépendants", "freelances"),
        "group_sg": ("auto-entrepreneur", "micro-entrepreneur", "indépendant", "freelance"),
        "issue": (
            "la hausse des cotisations des auto-entrepreneurs",
            "la limitation du régime à deux ans",
            "la fin du statut d'auto-entrepreneur",
            "la réforme de l'auto-entreprise",
        ),
        "measure": ("la réforme de l'auto-entreprise", "la hausse des cotisations sociales"),
        "slogan": (
            "Les poussins ne sont pas des pigeons !",
            "Touche pas à mon statut !",
            "Laissez-nous travailler !",
            "Un million de poussins en colère.",
        ),
        "offtopic": (
            "Nos poussins sont nés ce matin, trop mignons",
            "Recette du jour : poussin rôti aux herbes",
        ),
        "urls": (
            "http://www.facebook.com/lespoussins",
            "http://www.federation-auto-entrepreneur.fr/petition",
        ),
    },
    {
        "slug": "dindons",
        "lang": "fr",
        "weight": 1.0,
        "name": "dindons",
        "tags": ("Dindons", "dindons", "dondins", "LesDindons", "PLFSS2013", "MédecinsDindons"),
        "labels": ("Les médecins dindons contre {target}", "Colère des dindons"),
        "targets": (
            ("le PLFSS 2013", ("le PLFSS 2013", "le budget de la Sécu", "le gouvernement")),
            (
                "Marisol Touraine",
                ("Marisol Touraine", "@MarisolTouraine", "la ministre de la Santé"),
            ),
        ),
        "group": ("médecins", "médecins libéraux", "généralistes", "spécialistes"),
        "group_sg": ("médecin", "médecin libéral", "généraliste", "chirurgien"),
        "issue": (
            "la mise sous tutelle de la médecine libérale",
            "la sanction des dépassements d'honoraires",
            "la fin de la liberté tarifaire",
            "la médecine administrée",
        ),
        "measure": ("l'encadrement des dépassements d'honoraires", "le PLFSS 2013"),
        "slogan": (
            "Nous ne serons pas les dindons de la farce !",
            "Médecins en colère, cabinets fermés.",
            "Soigner n'est pas un privilège.",
        ),
        "offtopic": ("Bientôt Noël, la dinde est commandée", "Un dindon dans le jardin du voisin"),
        "urls": ("http://www.facebook.com/medecinsdindons", "http://www.lesdindons.fr"),
    },
    {
        "slug": "moutons",
        "lang": "fr",
        "weight": 1.0,
        "name": "moutons",
        "tags": ("Moutons", "moutons", "tonmou", "LesMoutons", "RasLeBolFiscal", "raslebolfiscal"),
        "labels": ("Les moutons contre {target}", "Ras-le-bol fiscal des moutons"),
        "targets": (
            ("les hausses d'impôts du budget 2013", ("le budget 2013", "Bercy", "le gouvernement")),
            ("le gouvernement", ("le gouvernement", "@gouvernementFR", "Ayrault", "Matignon")),
        ),
        "group": ("salariés", "contribuables", "classes moyennes", "ménages"),
        "group_sg": ("salarié", "contribuable", "smicard", "fonctionnaire"),
        "issue": (
            "la fiscalisation des heures supplémentaires",
            "la hausse de l'impôt sur le revenu",
            "la pression fiscale sur les classes moyennes",
            "l'explosion des impôts locaux",
        ),
        "measure": ("la fiscalisation des heures supplémentaires", "le budget 2013"),
        "slogan": (
            "Les moutons ne se laisseront plus tondre.",
            "Trop d'impôt tue l'impôt !",
            "On n'est pas des moutons !",
        ),
        "offtopic": (
            "Compter les moutons ne marche pas du tout",
            "Des moutons sur la route du col",
        ),
        "urls": ("http://www.facebook.com/lesmoutons", "http://www.contribuables.org"),
    },
    {
        "slug": "bonnets-rouges",
        "lang": "fr",
        "weight": 1.5,
        "name": "bonnets rouges",
        "tags": (
            "BonnetsRouges",
            "bonnetsrouges",
            "écotaxe",
            "ecotaxe",
            "LesBonnetsRouges",
            "Ecotaxe",
            "BonnetRouge",
            "BZH",
        ),
        "labels": ("Les bonnets rouges contre {target}", "Révolte bretonne des bonnets rouges"),
        "targets": (
            ("l'écotaxe", ("le gouvernement", "Ecomouv", "Paris", "le ministère des Transports")),
            ("le gouvernement", ("le gouvernement", "@gouvernementFR", "Paris", "Ayrault")),
        ),
        "group": ("Bretons", "agriculteurs", "transporteurs", "salariés de l'agroalimentaire"),
        "group_sg": ("Breton", "agriculteur", "transporteur", "routier"),
        "issue": (
            "l'écotaxe",
            "la taxe sur les poids lourds",
            "l'asphyxie de la Bretagne",
            "la casse de l'emploi breton",
        ),
        "measure": ("l'écotaxe", "la taxe poids lourds"),
        "slogan": (
            "Bretagne debout, non à l'écotaxe !",
            "Les bonnets rouges ne lâcheront rien.",
            "Vivre, décider et travailler au pays !",
        ),
        "offtopic": ("Joli bonnet rouge trouvé au marché", "Crêpes et cidre ce soir en famille"),
        "urls": ("http://www.facebook.com/bonnetsrouges", "http://www.bonnets-rouges.bzh"),
    },
    {
        "slug": "tondus",
        "lang": "fr",
        "weight": 1.0,
        "name": "tondus",
        "tags": ("Tondus", "tondus", "dutons", "LesTondus", "RSI", "StopRSI"),
        "labels": ("Les tondus contre {target}", "Colère des tondus"),
        "targets": (
            ("le RSI", ("le RSI", "le Régime social des indépendants", "l'Urssaf")),
            ("les charges sociales", ("l'Urssaf", "le gouvernement", "Bercy")),
        ),
        "group": ("indépendants", "artisans", "commerçants", "professions libérales"),
        "group_sg": ("artisan", "commerçant", "indépendant", "kiné libéral"),
        "issue": (
            "la gestion calamiteuse du RSI",
            "la ponction des charges sociales",
            "l'avalanche des appels de cotisations",
            "la tonte des indépendants",
        ),
        "measure": ("la réforme du RSI", "la hausse des cotisations des indépendants"),
        "slogan": (
            "Nous sommes tous des tondus !",
            "Trop c'est trop, libérez-nous du RSI.",
            "Les tondus relèvent la tête.",
        ),
        "offtopic": ("Coupe chez le coiffeur, je suis tondu", "Tondre la pelouse un dimanche..."),
        "urls": ("http://www.lestondus.fr", "http://www.facebook.com/lestondus"),
    },
    {
        "slug": "pasty-tax",
        "lang": "en",
        "weight": 1.0,
        "name": "pasty tax",
        "tags": (
            "PastyTax",
            "pastytax",
            "pastygate",
            "PastyGate",
            "SaveOurPasties",
            "pasties",
            "TaxOnPasties",
        ),
        "labels": ("Revolt against {target}", "The pasty tax revolt"),
        "targets": (
            ("the pasty tax", ("the Treasury", "the government", "the Chancellor", "Osborne")),
            ("George Osborne", ("Osborne", "@George_Osborne", "the Chancellor", "HM Treasury")),
        ),
        "group": ("bakers", "pasty lovers", "Cornish bakers", "working people"),
        "group_sg": ("baker", "pasty lover", "shop owner", "Cornishman"),
        "issue": (
            "20% VAT on hot pasties",
            "taxing hot food",
            "the tax on warm snacks",
            "the raid on bakers",
        ),
        "measure": ("VAT on hot food", "the pasty tax"),
        "slogan": (
            "Hands off our pasties!",
            "Don't tax the working man's lunch!",
            "Pasties are not a luxury.",
        ),
        "offtopic": ("Had a lovely pasty in St Ives today", "Homemade pasties for tea"),
        "urls": ("http://www.savethepasty.co.uk/petition", "http://www.facebook.com/pastytax"),
    },
    {
        "slug": "fuel-duty",
        "lang": "en",
        "weight": 1.0,
        "name": "fuel duty",
        "tags": (
            "FuelDuty",
            "fuelduty",
            "FairFuel",
            "StopTheFuelRise",
            "fairfuel",
            "FuelDutyRise",
        ),
        "labels": ("Motorists against {target}", "The fair fuel revolt"),
        "targets": (
            ("the fuel duty rise", ("the Treasury", "the government", "the Chancellor")),
            ("George Osborne", ("Osborne", "@George_Osborne", "the Chancellor", "No 10")),
        ),
        "group": ("drivers", "hauliers", "motorists", "small businesses"),
        "group_sg": ("driver", "haulier", "van driver", "commuter"),
        "issue": (
            "the fuel duty rise",
            "taxing drivers off the road",
            "record prices at the pump",
            "the 3p fuel duty hike",
        ),
        "measure": ("the fuel duty rise", "the 3p rise"),
        "slogan": ("Stop the fuel duty rise!", "Fair fuel now!", "We can't afford to drive."),
        "offtopic": ("Long drive to Leeds today", "Finally washed the car"),
        "urls": ("http://www.fairfueluk.com/petition", "http://www.facebook.com/fairfueluk"),
    },
)

#: Coordinated (astroturf) campaigns: literal hashtags and one URL in near-identical
#: templates; ``handle`` is the stem of the fresh accounts' similar user names.
CAMPAIGNS: tuple[dict, ...] = (
    {
        "slug": "taxe-soda",
        "lang": "fr",
        "tags": ("TaxeSoda", "StopTaxeSoda"),
        "label": "Campagne contre la taxe soda",
        "target": "la taxe sur les sodas",
        "url": "http://www.stop-taxe-soda.fr/petition",
        "handle": ("sodalibre", "stoptaxesoda", "boissonlibre"),
        "bio": "Contre la taxe soda. Pour la liberté de choix.",
        "templates": (
            "Non à la #TaxeSoda ! Le gouvernement veut encore taxer nos {drink}. "
            "Signez la pétition{punct} {url} #StopTaxeSoda",
            "Stop à la #TaxeSoda : nos {drink} taxés, des emplois menacés. "
            "Signez{punct} {url} #StopTaxeSoda",
        ),
        "vocab": {
            "drink": ("boissons", "sodas", "boissons préférées"),
            "punct": ("", " ici", " :"),
        },
    },
    {
        "slug": "taxe-biere",
        "lang": "fr",
        "tags": ("TaxeBière", "SauvonsLaBière"),
        "label": "Campagne contre la hausse des taxes sur la bière",
        "target": "la hausse des taxes sur la bière",
        "url": "http://www.sauvons-la-biere.fr/petition",
        "handle": ("bierelibre", "amidelabiere", "sauvonslabiere"),
        "bio": "Amateur de bière, contre la taxe.",
        "templates": (
            "Non à la #TaxeBière ! +160% de taxes, nos {who} en danger. "
            "Signez la pétition{punct} {url} #SauvonsLaBière",
            "La #TaxeBière va tuer nos {who}. Signez{punct} {url} #SauvonsLaBière",
        ),
        "vocab": {
            "who": ("brasseurs", "bistrots", "petites brasseries"),
            "punct": ("", " ici", " :"),
        },
    },
    {
        "slug": "diesel",
        "lang": "fr",
        "tags": ("TaxeDiesel", "SauvonsLeDiesel"),
        "label": "Campagne contre la taxe diesel",
        "target": "la hausse de la fiscalité du diesel",
        "url": "http://www.sauvons-le-diesel.fr/petition",
        "handle": ("dieselfan", "automobiliste", "sauvonsdiesel"),
        "bio": "Automobiliste et fier de l'être.",
        "templates": (
            "Non à la #TaxeDiesel ! Les {who} paient déjà assez. "
            "Signez la pétition{punct} {url} #SauvonsLeDiesel",
            "La #TaxeDiesel frappe encore les {who}. Signez{punct} {url} #SauvonsLeDiesel",
        ),
        "vocab": {"who": ("automobilistes", "ruraux", "familles"), "punct": ("", " ici", " :")},
    },
    {
        "slug": "plain-packs",
        "lang": "en",
        "tags": ("HandsOffOurPacks", "PlainPacks"),
        "label": "Campaign against plain cigarette packaging",
        "target": "plain packaging",
        "url": "http://www.handsoffourpacks.com/petition",
        "handle": ("handsoff", "freechoice", "nanny_no"),
        "bio": "Stop the nanny state.",
        "templates": (
            "Say no to #PlainPacks! The nanny state has gone too far for {who}. "
            "Sign the petition{punct} {url} #HandsOffOurPacks",
            "#PlainPacks will hurt {who}. Sign now{punct} {url} #HandsOffOurPacks",
        ),
        "vocab": {"who": ("shopkeepers", "adults", "small retailers"), "punct": ("", " here", ":")},
    },
)

#: Neutral spikes: a big match or a live event, a few hours of huge volume.
EVENTS: tuple[dict, ...] = (
    {
        "slug": "om-psg",
        "lang": "fr",
        "label": "Classico OM–PSG",
        "tags": ("OMPSG", "Classico", "OM", "PSG", "OMvPSG"),
        "vocab": {
            "team": ("l'OM", "le PSG", "Marseille", "Paris"),
            "player": ("Ibrahimovic", "Gignac", "Valbuena", "Lavezzi", "Mandanda", "Thiago Silva"),
            "score": ("0-0", "1-0", "1-1", "2-1", "2-2"),
        },
        "templates": (
            "Quel match ! {tag}",
            "BUUUUUT de {player} !!! {tag}",
            "Allez {team} !!! {tag}",
            "Ambiance de folie au Vélodrome {tag}",
            "{Player} est en feu ce soir {tag}",
            "Mi-temps : {score}. {tag}",
            "Score final {score}, quel classico ! {tag}",
            "Carton jaune pour {player}, l'arbitre est sévère {tag}",
            "Prêt pour le {tag} avec les potes",
            "Rien ne me fera rater ce {tag}",
            "{Team} mérite la victoire {tag}",
            "Incroyable geste de {player} {tag}",
            "Le {tag} commence dans une heure !",
            "Quelle soirée, merci {team} {tag}",
        ),
    },
    {
        "slug": "fra-esp",
        "lang": "fr",
        "label": "Espagne–France, qualifications Coupe du monde",
        "tags": ("ESPFRA", "AllezLesBleus", "FRAESP", "EDF", "Bleus"),
        "vocab": {
            "team": ("les Bleus", "la France", "l'Espagne", "la Roja"),
            "player": ("Giroud", "Ribéry", "Benzema", "Lloris", "Xavi", "Iniesta", "Pedro"),
            "score": ("0-0", "1-0", "1-1", "0-1"),
        },
        "templates": (
            "Allez les Bleus !!! {tag}",
            "BUUUUUT de {player} à la dernière minute !!! {tag}",
            "Énorme arrêt de {player} {tag}",
            "Mi-temps : {score}. On y croit {tag}",
            "Score final {score}, quelle fierté {tag}",
            "{Team} joue super bien ce soir {tag}",
            "Tout le monde devant la télé pour {tag}",
            "Le bar est plein pour le match {tag}",
            "{Player} homme du match {tag}",
            "Coup d'envoi dans 30 minutes {tag}",
            "Quel match de {team} {tag}",
        ),
    },
    {
        "slug": "stratos",
        "lang": "en",
        "label": "Red Bull Stratos space jump",
        "tags": ("Stratos", "RedBullStratos", "LiveJump", "SpaceJump"),
        "vocab": {
            "who": ("Felix", "Felix Baumgartner", "Baumgartner", "Fearless Felix"),
            "feel": ("Unbelievable", "Incredible", "Amazing", "Wow", "Insane"),
        },
        "templates": (
            "Watching {who} jump from the edge of space {tag}",
            "{Feel}!!! He did it {tag}",
            "Heart in my mouth watching this {tag}",
            "Supersonic freefall, what a legend {tag}",
            "Millions watching live on YouTube {tag}",
            "Go {who}!!! {tag}",
            "That landing!!! {feel} {tag}",
            "{Feel}, {who} broke the sound barrier {tag}",
            "The whole office is watching {tag}",
            "Capsule door open... {tag}",
        ),
    },
)

#: Official accounts: (username, display name, role, description, language).
#: Roles ``institution``, ``party`` and ``politician`` are institutional actors.
INSTITUTIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("gouvernementFR", "Gouvernement", "institution", "Compte officiel du Gouvernement", "fr"),
    ("Elysee", "Élysée", "institution", "Compte officiel de la Présidence de la République", "fr"),
    ("Matignon", "Matignon", "institution", "Compte officiel du Premier ministre", "fr"),
    ("Economie_Gouv", "Ministère de l'Économie", "institution", "Économie et Finances", "fr"),
    (
        "Travail_Gouv",
        "Ministère du Travail",
        "institution",
        "Travail, emploi, dialogue social",
        "fr",
    ),
    ("Sante_Gouv", "Ministère de la Santé", "institution", "Affaires sociales et Santé", "fr"),
    ("partisocialiste", "Parti socialiste", "party", "Compte officiel du Parti socialiste", "fr"),
    ("ump", "UMP", "party", "Union pour un mouvement populaire", "fr"),
    ("fhollande", "François Hollande", "politician", "Président de la République", "fr"),
    ("jeanmarcayrault", "Jean-Marc Ayrault", "politician", "Premier ministre", "fr"),
    ("pierremoscovici", "Pierre Moscovici", "politician", "Ministre de l'Économie", "fr"),
    ("SylviaPinel", "Sylvia Pinel", "politician", "Ministre de l'Artisanat", "fr"),
    ("MarisolTouraine", "Marisol Touraine", "politician", "Ministre de la Santé", "fr"),
    ("George_Osborne", "George Osborne", "politician", "Chancellor of the Exchequer", "en"),
    ("hmtreasury", "HM Treasury", "institution", "Official account of HM Treasury", "en"),
)

#: Media accounts: (username, display name, language).
MEDIA: tuple[tuple[str, str, str], ...] = (
    ("lemondefr", "Le Monde", "fr"),
    ("Le_Figaro", "Le Figaro", "fr"),
    ("libe", "Libération", "fr"),
    ("le_Parisien", "Le Parisien", "fr"),
    ("BFMTV", "BFMTV", "fr"),
    ("franceinfo", "franceinfo", "fr"),
    ("LesEchos", "Les Echos", "fr"),
    ("afpfr", "AFP", "fr"),
    ("BBCNews", "BBC News", "en"),
    ("guardian", "The Guardian", "en"),
)

#: Policies promoted by official accounts (institutional promotion).
POLICIES: tuple[dict, ...] = (
    {
        "slug": "emplois-avenir",
        "label": "Promotion des emplois d'avenir",
        "tags": ("EmploisdAvenir", "emploisdavenir"),
        "accounts": ("gouvernementFR", "Travail_Gouv", "Matignon", "partisocialiste"),
        "policy": ("les emplois d'avenir", "le dispositif emplois d'avenir"),
        "benefit": (
            "un premier emploi pour 150 000 jeunes",
            "une chance pour les jeunes sans diplôme",
            "un emploi et une formation pour les jeunes",
        ),
        "url": "http://www.gouvernement.fr/emplois-d-avenir",
    },
    {
        "slug": "contrat-generation",
        "label": "Promotion du contrat de génération",
        "tags": ("ContratDeGeneration", "contratdegeneration"),
        "accounts": ("gouvernementFR", "Travail_Gouv", "Elysee", "partisocialiste"),
        "policy": ("le contrat de génération", "le contrat de génération"),
        "benefit": (
            "un jeune embauché et un senior maintenu dans l'emploi",
            "la transmission des savoirs entre générations",
            "500 000 jeunes en CDI",
        ),
        "url": "http://www.gouvernement.fr/contrat-de-generation",
    },
    {
        "slug": "bpi",
        "label": "Promotion de la Banque publique d'investissement",
        "tags": ("BPI", "BanquePublique"),
        "accounts": ("Economie_Gouv", "gouvernementFR", "pierremoscovici", "Elysee"),
        "policy": ("la Banque publique d'investissement", "la BPI"),
        "benefit": (
            "un guichet unique pour financer les PME",
            "42 milliards d'euros pour nos entreprises",
            "un soutien aux PME innovantes",
        ),
        "url": "http://www.economie.gouv.fr/bpi",
    },
    {
        "slug": "pacte-competitivite",
        "label": "Promotion du pacte de compétitivité",
        "tags": ("PacteCompetitivite", "CICE"),
        "accounts": ("Economie_Gouv", "Matignon", "gouvernementFR", "jeanmarcayrault"),
        "policy": ("le pacte de compétitivité", "le crédit d'impôt compétitivité emploi"),
        "benefit": (
            "20 milliards d'euros pour nos entreprises",
            "un allègement du coût du travail",
            "300 000 emplois d'ici 2017",
        ),
        "url": "http://www.gouvernement.fr/pacte-competitivite",
    },
)

#: Always-on political topics with mixed stance.
TOPICS: tuple[dict, ...] = (
    {
        "slug": "direct-an",
        "label": "Questions au gouvernement (#directAN)",
        "tags": ("directAN", "QAG", "DirectAN"),
        "subject": ("le budget", "l'emploi", "la sécurité", "l'école", "l'Europe", "la dette"),
        "templates": {
            "against": (
                "Réponse du ministre à côté de la plaque sur {subject} {tag}",
                "Encore une séance pour rien {tag}",
                "La majorité n'écoute rien sur {subject} {tag}",
                "Quelle langue de bois sur {subject} {tag}",
            ),
            "favour": (
                "Excellente réponse du ministre sur {subject} {tag}",
                "Bravo pour cette intervention claire {tag}",
                "Enfin un vrai cap sur {subject} {tag}",
            ),
            "neutral": (
                "Séance des questions au gouvernement en cours {tag}",
                "Le débat sur {subject} reprend {tag}",
                "Qui parle en ce moment ? {tag}",
                "Hémicycle bien rempli aujourd'hui {tag}",
            ),
            "news": ("Suivez les questions au gouvernement en direct {url} {tag}",),
        },
        "url": "http://www.assemblee-nationale.tv/direct",
    },
    {
        "slug": "retraites",
        "label": "Débat sur les retraites",
        "tags": ("retraites", "Retraites", "réformedesretraites"),
        "subject": ("la durée de cotisation", "les régimes spéciaux", "le COR", "les pensions"),
        "templates": {
            "against": (
                "Travailler jusqu'à 67 ans ? Non merci {tag}",
                "On nous vole nos {tag}, encore",
                "Scandale sur {subject}, mobilisation ! {tag}",
            ),
            "favour": (
                "Il faut bien financer nos {tag}, soyons sérieux",
                "La réforme sur {subject} est courageuse {tag}",
            ),
            "neutral": (
                "Rapport sur {subject} publié aujourd'hui {tag}",
                "Qui comprend quelque chose à {subject} ? {tag}",
                "Débat ce soir sur les {tag}",
            ),
            "news": ("{Subject} : ce qui va changer pour vos retraites {url} {tag}",),
        },
        "url": "http://www.lemonde.fr/politique/retraites",
    },
    {
        "slug": "chomage",
        "label": "Chômage et emploi",
        "tags": ("chomage", "chômage", "emploi"),
        "subject": ("les jeunes", "les seniors", "l'industrie", "Pôle emploi"),
        "templates": {
            "against": (
                "Encore un mois de hausse du {tag}, le gouvernement échoue",
                "Rien pour {subject}, quelle honte {tag}",
                "La courbe ne s'inverse pas {tag}",
            ),
            "favour": (
                "Les mesures pour {subject} vont dans le bon sens {tag}",
                "Il faut laisser le temps aux réformes {tag}",
            ),
            "neutral": (
                "Chiffres du {tag} publiés ce soir",
                "Focus sur {subject} et le {tag}",
                "Que faire pour {subject} ? {tag}",
            ),
            "news": ("{Subject} : les chiffres du chômage en hausse {url} {tag}",),
        },
        "url": "http://www.lesechos.fr/economie/chomage",
    },
)
