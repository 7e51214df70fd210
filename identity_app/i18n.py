"""Texts of the end user's capture flow: one dictionary per language.

The language comes from the application's locale in the session snapshot
("fr", "fr-FR" -> French); anything else falls back to English. Every
language has exactly the keys English has (a test checks it).
"""
from __future__ import annotations

EN: dict[str, str] = {
    "lang": "en",
    "page_title": "Identity verification",
    "closed_title": "This link cannot be used",
    "closed_body": "The link is not valid: it may have expired, been used already or been mistyped. "
                   "Ask the organisation that sent it for a new one.",
    "welcome_title": "Verify your identity for {app}",
    "welcome_body": "{app} asks you to prove who you are. It takes about 3 minutes.",
    "step_document": "Take a photo of your identity document.",
    "step_liveness": "Take a short video selfie: follow 2 or 3 simple instructions on screen.",
    "step_result": "We check the photos automatically and tell {app} the result.",
    "privacy_link": "How {app} uses your data (privacy policy)",
    "consent_label": "I agree that my identity document and images of my face (biometric data) are "
                     "processed to verify my identity.",
    "consent_required": "Please tick the box to agree before you continue.",
    "start": "Start",
    "inapp_title": "Open this page in your browser",
    "inapp_body": "The browser inside this app cannot use the camera. Open the menu (⋯ or ⋮) and choose "
                  "\"Open in browser\", or copy the link below into Safari or Chrome.",
    "copy_link": "Copy link",
    "camera_title": "Camera access",
    "camera_checking": "Checking your camera…",
    "camera_denied": "Camera access was refused. Allow the camera in your browser's site settings "
                     "(the camera icon in the address bar), then try again.",
    "camera_absent": "No camera was found on this device.",
    "camera_insecure": "The camera only works on a secure (https) page.",
    "camera_retry": "Try the camera again",
    "handoff_title": "Continue on your phone",
    "handoff_body": "Scan this code with your phone's camera to continue there. Your progress is kept.",
    "upload_instead": "Or upload a photo of your document",
    "document_title": "Your identity document",
    "document_type": "Document type",
    "document_country": "Issuing country",
    "country_placeholder": "3-letter code, e.g. FRA",
    "PASSPORT": "Passport",
    "NATIONAL_ID": "National ID card",
    "DRIVING_LICENCE": "Driving licence",
    "RESIDENCE_PERMIT": "Residence permit",
    "document_front": "Hold the page with your photo inside the frame.",
    "document_back": "Now turn the document over: hold the back inside the frame.",
    "document_hint_ok": "Looks good: hold still and take the photo.",
    "document_hint_wait": "Starting the camera…",
    "take_photo": "Take photo",
    "upload_label": "Upload a photo (JPEG, PNG or WebP)",
    "upload_button": "Upload",
    "uploading": "Sending…",
    "continue": "Continue",
    "liveness_title": "Video selfie",
    "liveness_intro": "Put your face inside the oval, in good light, and follow the instructions. "
                      "Remove sunglasses.",
    "liveness_start": "I'm ready",
    "liveness_checking": "Checking your video…",
    "liveness_passed": "Thank you, that worked.",
    "liveness_failed": "That didn't work: {reason}",
    "liveness_retry": "Try again ({left} left)",
    "liveness_no_more": "No attempts are left; we send what we have.",
    "TURN_LEFT": "Turn your head slowly to your left, then back",
    "TURN_RIGHT": "Turn your head slowly to your right, then back",
    "BLINK": "Blink your eyes",
    "OPEN_MOUTH": "Open your mouth wide, then close it",
    "face_none": "We can't see your face: move into the oval.",
    "face_many": "Only one person should be in view.",
    "face_ok": "Good.",
    "turn_more": "Turn a bit more.",
    "checking_title": "We're checking your documents",
    "checking_body": "This usually takes less than a minute. You can keep this page open.",
    "done_title": "All done",
    "done_body": "Thank you. {app} will be in touch. You can close this page.",
    "review_title": "A person is checking your documents",
    "review_body": "Your photos were received. Part of the check is done by a person at {app}, which can "
                   "take longer than usual. You can close this page now: there is nothing more to do. "
                   "{app} will tell you the result, or contact you if they need anything else.",
    # Refusals (CaptureRefused codes and quality reasons).
    "EMPTY": "The file is empty.",
    "UNSUPPORTED_TYPE": "This file is not a photo: use a JPEG, PNG or WebP image.",
    "FILE_TOO_LARGE": "The file is too large ({mb} MB at most).",
    "TOO_MANY_PIXELS": "The image is too large in pixels: use a smaller photo.",
    "CORRUPTED": "The image is damaged and cannot be read: take or choose another photo.",
    "BAD_DIMENSIONS": "The image is too wide, too tall or oddly shaped: use an ordinary photo.",
    "IMAGE_FAILED": "This image could not be processed: take or choose another photo.",
    "BUSY": "Your previous photo is still being processed: wait a moment and try again.",
    "SERVER_BUSY": "Many photos are being processed right now: try again in a moment.",
    "WAIT": "Many people are verifying their identity right now. You are number {position} in line "
            "(about {seconds} s): keep this page open, it goes on by itself.",
    "TOO_MANY_UPLOADS": "Too many photos were sent in a short time: wait a few minutes and try again.",
    "TOO_MANY_PHOTOS": "Too many photos of the document were sent with this link: contact the organisation "
                       "that sent it.",
    "BAD_REQUEST": "This request is not valid: reload the page and try again.",
    "FRONT_FIRST": "Photograph the front of the document first.",
    "ATTEMPT_FINISHED": "This attempt is over: start the video selfie again.",
    "LIVENESS_DONE": "The video selfie is already done.",
    "LINK_CLOSED": "This link is not valid any more.",
    "CONSENT_REQUIRED": "Please agree to the processing first.",
    "DOCUMENT_TYPE_NOT_ACCEPTED": "This type of document is not accepted here.",
    "COUNTRY_REQUIRED": "Choose the country that issued the document.",
    "COUNTRY_NOT_ACCEPTED": "Documents from this country are not accepted here.",
    "NO_ATTEMPTS_LEFT": "No attempts are left.",
    "DOCUMENT_MISSING": "Photograph your document first.",
    "LIVENESS_MISSING": "Take the video selfie first.",
    "TOO_MANY_FRAMES": "That took too long: try again.",
    "PHOTO_TOO_DARK": "It's too dark: move to a brighter place.",
    "PHOTO_OVEREXPOSED": "Too bright: avoid direct light on the document.",
    "NO_DOCUMENT": "We can't see a document: place it inside the frame.",
    "PARTIAL_PHOTO": "Part of the document is cut off: show all four corners.",
    "IMAGE_RESOLUTION_TOO_LOW": "Too small: move the document closer to the camera.",
    "GLARE_OBSTRUCTION": "There is glare on the document: tilt it away from the light.",
    "PHOTO_TOO_BLURRY": "The photo is blurry: hold still and let the camera focus.",
    "BLACK_AND_WHITE_IMAGE": "Black and white image: use a colour photo of the original document.",
    "NO_FACE_PRESENT": "we couldn't see your face all the time.",
    "MULTIPLE_PEOPLE": "more than one person was seen.",
    "CHALLENGE_NOT_COMPLETED": "the instructions were not followed in time.",
    "PHOTOCOPY": "it looked like a photo or a screen, not a live face.",
    "DIGITAL_COPY": "it looked like a screen, not a live face.",
    "NO_FRAMES": "no video arrived.",
    "ERROR": "Something went wrong. Please try again.",
}

FR: dict[str, str] = {
    "lang": "fr",
    "page_title": "Vérification d'identité",
    "closed_title": "Ce lien ne peut pas être utilisé",
    "closed_body": "Le lien n'est pas valide : il a peut-être expiré, déjà servi ou été mal recopié. "
                   "Demandez-en un nouveau à l'organisme qui vous l'a envoyé.",
    "welcome_title": "Vérifiez votre identité pour {app}",
    "welcome_body": "{app} vous demande de prouver votre identité. Cela prend environ 3 minutes.",
    "step_document": "Photographiez votre pièce d'identité.",
    "step_liveness": "Faites un court selfie vidéo : suivez 2 ou 3 consignes simples à l'écran.",
    "step_result": "Nous vérifions les photos automatiquement et transmettons le résultat à {app}.",
    "privacy_link": "Comment {app} utilise vos données (politique de confidentialité)",
    "consent_label": "J'accepte que ma pièce d'identité et des images de mon visage (données biométriques) "
                     "soient traitées pour vérifier mon identité.",
    "consent_required": "Cochez la case pour donner votre accord avant de continuer.",
    "start": "Commencer",
    "inapp_title": "Ouvrez cette page dans votre navigateur",
    "inapp_body": "Le navigateur intégré à cette application ne peut pas utiliser la caméra. Ouvrez le menu "
                  "(⋯ ou ⋮) et choisissez « Ouvrir dans le navigateur », ou copiez le lien ci-dessous dans "
                  "Safari ou Chrome.",
    "copy_link": "Copier le lien",
    "camera_title": "Accès à la caméra",
    "camera_checking": "Vérification de votre caméra…",
    "camera_denied": "L'accès à la caméra a été refusé. Autorisez la caméra dans les réglages du site "
                     "(l'icône de caméra dans la barre d'adresse), puis réessayez.",
    "camera_absent": "Aucune caméra n'a été trouvée sur cet appareil.",
    "camera_insecure": "La caméra ne fonctionne que sur une page sécurisée (https).",
    "camera_retry": "Réessayer la caméra",
    "handoff_title": "Continuer sur votre téléphone",
    "handoff_body": "Scannez ce code avec l'appareil photo de votre téléphone pour continuer. "
                    "Votre progression est conservée.",
    "upload_instead": "Ou envoyez une photo de votre document",
    "document_title": "Votre pièce d'identité",
    "document_type": "Type de document",
    "document_country": "Pays de délivrance",
    "country_placeholder": "Code à 3 lettres, par ex. FRA",
    "PASSPORT": "Passeport",
    "NATIONAL_ID": "Carte nationale d'identité",
    "DRIVING_LICENCE": "Permis de conduire",
    "RESIDENCE_PERMIT": "Titre de séjour",
    "document_front": "Placez la page avec votre photo dans le cadre.",
    "document_back": "Retournez le document : placez le verso dans le cadre.",
    "document_hint_ok": "C'est bon : ne bougez plus et prenez la photo.",
    "document_hint_wait": "Démarrage de la caméra…",
    "take_photo": "Prendre la photo",
    "upload_label": "Envoyer une photo (JPEG, PNG ou WebP)",
    "upload_button": "Envoyer",
    "uploading": "Envoi…",
    "continue": "Continuer",
    "liveness_title": "Selfie vidéo",
    "liveness_intro": "Placez votre visage dans l'ovale, bien éclairé, et suivez les consignes. "
                      "Retirez vos lunettes de soleil.",
    "liveness_start": "Je suis prêt·e",
    "liveness_checking": "Vérification de votre vidéo…",
    "liveness_passed": "Merci, c'est réussi.",
    "liveness_failed": "Cela n'a pas fonctionné : {reason}",
    "liveness_retry": "Réessayer (encore {left})",
    "liveness_no_more": "Plus d'essai possible ; nous envoyons ce que nous avons.",
    "TURN_LEFT": "Tournez lentement la tête vers votre gauche, puis revenez",
    "TURN_RIGHT": "Tournez lentement la tête vers votre droite, puis revenez",
    "BLINK": "Clignez des yeux",
    "OPEN_MOUTH": "Ouvrez grand la bouche, puis fermez-la",
    "face_none": "Nous ne voyons pas votre visage : placez-vous dans l'ovale.",
    "face_many": "Une seule personne doit être visible.",
    "face_ok": "Bien.",
    "turn_more": "Tournez un peu plus.",
    "checking_title": "Nous vérifions vos documents",
    "checking_body": "Cela prend en général moins d'une minute. Vous pouvez garder cette page ouverte.",
    "done_title": "C'est terminé",
    "done_body": "Merci. {app} reviendra vers vous. Vous pouvez fermer cette page.",
    "review_title": "Une personne vérifie vos documents",
    "review_body": "Vos photos ont bien été reçues. Une partie de la vérification est faite par une personne "
                   "chez {app}, ce qui peut prendre plus de temps que d'habitude. Vous pouvez fermer cette page "
                   "maintenant : vous n'avez plus rien à faire. {app} vous donnera le résultat, ou vous contactera "
                   "s'il lui faut autre chose.",
    "EMPTY": "Le fichier est vide.",
    "UNSUPPORTED_TYPE": "Ce fichier n'est pas une photo : utilisez une image JPEG, PNG ou WebP.",
    "FILE_TOO_LARGE": "Le fichier est trop lourd ({mb} Mo au maximum).",
    "TOO_MANY_PIXELS": "L'image a trop de pixels : utilisez une photo plus petite.",
    "CORRUPTED": "L'image est endommagée et illisible : prenez ou choisissez une autre photo.",
    "BAD_DIMENSIONS": "L'image est trop large, trop haute ou de forme inhabituelle : utilisez une photo ordinaire.",
    "IMAGE_FAILED": "Cette image n'a pas pu être traitée : prenez ou choisissez une autre photo.",
    "BUSY": "Votre photo précédente est encore en cours de traitement : patientez un instant et réessayez.",
    "SERVER_BUSY": "Beaucoup de photos sont en cours de traitement : réessayez dans un instant.",
    "WAIT": "Beaucoup de personnes vérifient leur identité en ce moment. Vous êtes numéro {position} dans la "
            "file (environ {seconds} s) : gardez cette page ouverte, elle continue d'elle-même.",
    "TOO_MANY_UPLOADS": "Trop de photos ont été envoyées en peu de temps : attendez quelques minutes et réessayez.",
    "TOO_MANY_PHOTOS": "Trop de photos du document ont été envoyées avec ce lien : contactez l'organisation "
                       "qui vous l'a envoyé.",
    "BAD_REQUEST": "Cette demande n'est pas valide : rechargez la page et réessayez.",
    "FRONT_FIRST": "Photographiez d'abord le recto du document.",
    "ATTEMPT_FINISHED": "Cet essai est terminé : recommencez le selfie vidéo.",
    "LIVENESS_DONE": "Le selfie vidéo est déjà fait.",
    "LINK_CLOSED": "Ce lien n'est plus valide.",
    "CONSENT_REQUIRED": "Donnez d'abord votre accord au traitement.",
    "DOCUMENT_TYPE_NOT_ACCEPTED": "Ce type de document n'est pas accepté ici.",
    "COUNTRY_REQUIRED": "Choisissez le pays qui a délivré le document.",
    "COUNTRY_NOT_ACCEPTED": "Les documents de ce pays ne sont pas acceptés ici.",
    "NO_ATTEMPTS_LEFT": "Plus aucun essai possible.",
    "DOCUMENT_MISSING": "Photographiez d'abord votre document.",
    "LIVENESS_MISSING": "Faites d'abord le selfie vidéo.",
    "TOO_MANY_FRAMES": "C'était trop long : réessayez.",
    "PHOTO_TOO_DARK": "Trop sombre : allez dans un endroit plus lumineux.",
    "PHOTO_OVEREXPOSED": "Trop lumineux : évitez la lumière directe sur le document.",
    "NO_DOCUMENT": "Nous ne voyons pas de document : placez-le dans le cadre.",
    "PARTIAL_PHOTO": "Une partie du document est coupée : montrez les quatre coins.",
    "IMAGE_RESOLUTION_TOO_LOW": "Trop petit : rapprochez le document de la caméra.",
    "GLARE_OBSTRUCTION": "Il y a un reflet sur le document : inclinez-le pour l'éviter.",
    "PHOTO_TOO_BLURRY": "La photo est floue : ne bougez plus et laissez la caméra faire la mise au point.",
    "BLACK_AND_WHITE_IMAGE": "Image en noir et blanc : utilisez une photo en couleur du document original.",
    "NO_FACE_PRESENT": "votre visage n'était pas visible tout le temps.",
    "MULTIPLE_PEOPLE": "plus d'une personne était visible.",
    "CHALLENGE_NOT_COMPLETED": "les consignes n'ont pas été suivies à temps.",
    "PHOTOCOPY": "cela ressemblait à une photo ou à un écran, pas à un visage réel.",
    "DIGITAL_COPY": "cela ressemblait à un écran, pas à un visage réel.",
    "NO_FRAMES": "aucune vidéo n'est arrivée.",
    "ERROR": "Une erreur s'est produite. Veuillez réessayer.",
}

LANGUAGES: dict[str, dict[str, str]] = {"en": EN, "fr": FR}


def texts(locale: str | None) -> dict[str, str]:
    """The dictionary for a locale such as 'fr' or 'fr-CA' (English by default)."""
    lang = (locale or "en").split("-")[0].split("_")[0].lower()
    return LANGUAGES.get(lang, EN)


def message(locale: str | None, code: str, **values: object) -> str:
    """A refusal or reason code in the user's language (a generic text for unknown codes)."""
    t = texts(locale)
    template = t.get(code) or EN.get(code) or t["ERROR"]
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
